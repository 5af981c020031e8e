internal import COpenSSL

#if canImport(Glibc)
  import Glibc
#endif

/// Opens client connections: TCP connect, TLS handshake and server verification, all before `timeout`;
/// the returned connection is then driven by Dispatch like a server-side one.
public enum TLSClient {
  /// Connects to `host` (name, IPv4, IPv6 or `[v6]`) and `port`.
  ///
  /// In TLS 1.3 the server checks a client certificate after the client's handshake has finished: a refused
  /// client certificate shows up as the connection's close error (`tlsv13 alert certificate required`,
  /// `... unknown ca`) on the first read, not here. Do not report "connected" before the first reply.
  public static func connect(
    host: String, port: UInt16, options: TLSClientOptions, timeout: Duration = .seconds(10)
  ) throws(TransportError) -> TLSConnection {
    let (ssl, fd, peer, subject) = try establish(host: host, port: port, options: options, timeout: timeout)
    let connection = TLSConnection(
      ssl: ssl, fd: fd, peer: peer, handshaking: false, maxPendingOutput: options.maxPendingOutputBytes)
    connection.activate(peerCertificateSubject: subject)
    return connection
  }

  /// Like ``connect(host:port:options:timeout:)``, for a client that does its I/O on the threads that wait for
  /// replies (``DirectTLSLink``): no Dispatch source, no queue hop per request.
  public static func connectDirect(
    host: String, port: UInt16, options: TLSClientOptions, timeout: Duration = .seconds(10)
  ) throws(TransportError) -> DirectTLSLink {
    let (ssl, fd, peer, subject) = try establish(host: host, port: port, options: options, timeout: timeout)
    return DirectTLSLink(ssl: ssl, fd: fd, peer: peer, peerCertificateSubject: subject)
  }

  /// The SHA-256 fingerprint of the certificate `host:port` presents, not verified: what to tell a user to pin
  /// after verification failed (as ssh shows a host key). Nil when no handshake completes within `timeout`.
  public static func presentedFingerprint(host: String, port: UInt16, timeout: Duration = .seconds(5)) -> String? {
    Transport.ignoreSIGPIPE()
    let deadline = ContinuousClock.now + timeout
    guard let addresses = try? SocketAddress.resolve(host: host, port: port, passive: false),
      let context = try? makeContext(TLSClientOptions(), verifyChain: false)
    else { return nil }
    defer { SSL_CTX_free(context) }
    guard let fd = try? Socket.connect(to: addresses, deadline: deadline) else { return nil }
    defer { Glibc.close(fd) }
    guard let ssl = SSL_new(context) else { return nil }
    defer { SSL_free(ssl) }
    do {
      try prepare(ssl, fd: fd, name: SocketAddress.unbracketed(host), verifyChain: false)
      try handshake(ssl, fd: fd, peer: "\(host):\(port)", deadline: deadline, timeout: timeout)
    } catch {
      return nil
    }
    guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
    defer { X509_free(certificate) }
    return CertificateFingerprint.of(certificate)
  }

  /// TCP connect, handshake and verification; the SSL and the socket (non-blocking, TCP_NODELAY) are the
  /// caller's from then on.
  private static func establish(
    host: String, port: UInt16, options: TLSClientOptions, timeout: Duration
  ) throws(TransportError) -> (OpaquePointer, Int32, String, String?) {
    Transport.ignoreSIGPIPE()
    let deadline = ContinuousClock.now + timeout
    var pin: String?
    if let fingerprint = options.fingerprint {
      guard let normalized = CertificateFingerprint.normalized(fingerprint) else {
        throw TransportError(.configuration, "fingerprint \"\(fingerprint)\" is not 32 hex bytes (SHA256:AB:CD:...)")
      }
      pin = normalized
    }
    let addresses = try SocketAddress.resolve(host: host, port: port, passive: false)
    let context = try makeContext(options, verifyChain: options.caPath != nil || pin == nil)
    defer { SSL_CTX_free(context) }  // each SSL keeps its own reference
    let fd = try Socket.connect(to: addresses, deadline: deadline)
    let peer = SocketAddress.filled { getpeername(fd, $0, $1) }.address.description
    guard let ssl = SSL_new(context) else {
      Glibc.close(fd)
      throw OpenSSLErrors.error(call: "SSL_new", "cannot start a TLS session")
    }
    do throws(TransportError) {
      try prepare(
        ssl, fd: fd, name: options.serverName ?? SocketAddress.unbracketed(host),
        verifyChain: options.caPath != nil || pin == nil)
      try handshake(ssl, fd: fd, peer: peer, deadline: deadline, timeout: timeout)
      guard let certificate = SSL_get1_peer_certificate(ssl) else {
        throw TransportError(.verification, "server \(peer) presented no certificate")
      }
      defer { X509_free(certificate) }
      let fingerprint = CertificateFingerprint.of(certificate)
      if let pin, fingerprint != pin {
        throw TransportError(
          .verification, "server \(peer) certificate fingerprint \(fingerprint) does not match the pinned \(pin)")
      }
      return (ssl, fd, peer, X509Name.text(X509_get_subject_name(certificate)))
    } catch {
      SSL_free(ssl)
      Glibc.close(fd)
      throw error
    }
  }

  private static func makeContext(_ options: TLSClientOptions, verifyChain: Bool) throws(TransportError)
    -> OpaquePointer
  {
    let context = try SSLContextSetup.make(server: false, allowTLS12: options.allowTLS12)
    do throws(TransportError) {
      if let (certificate, key) = try SSLContextSetup.pair(
        options.certificatePath, options.keyPath, what: "client identity")
      {
        try SSLContextSetup.useIdentity(context, certificate: certificate, key: key)
      }
      if let caPath = options.caPath {
        try SSLContextSetup.trust(context, caFile: caPath)
      } else if verifyChain {
        _ = SSL_CTX_set_default_verify_paths(context)
      }
      SSL_CTX_set_verify(context, verifyChain ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
      return context
    } catch {
      SSL_CTX_free(context)
      throw error
    }
  }

  /// Socket, SNI (for names) and the host name or IP address the chain must be issued for.
  private static func prepare(_ ssl: OpaquePointer, fd: Int32, name: String, verifyChain: Bool) throws(TransportError) {
    OpenSSLErrors.clear()
    guard SSL_set_fd(ssl, fd) == 1 else { throw OpenSSLErrors.error(call: "SSL_set_fd", "cannot start a TLS session") }
    let numeric = SocketAddress.isNumeric(name)
    if !numeric { _ = kd_SSL_set_tlsext_host_name(ssl, name) }
    guard verifyChain else { return }
    let set = numeric ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name)
    guard set == 1 else {
      throw OpenSSLErrors.error(.configuration, call: "SSL_set1_host", "cannot verify the server as \"\(name)\"")
    }
  }

  private static func handshake(
    _ ssl: OpaquePointer, fd: Int32, peer: String, deadline: ContinuousClock.Instant, timeout: Duration
  ) throws(TransportError) {
    let what = "TLS handshake with \(peer) failed"
    while true {
      OpenSSLErrors.clear()
      let result = SSL_connect(ssl)
      if result == 1 { return }
      let ready: Bool
      switch SSLOutcome.after(ssl, result: result, call: "SSL_connect", during: what) {
      case .wantRead: ready = try Socket.wait(fd, for: Int16(POLLIN), until: deadline)
      case .wantWrite: ready = try Socket.wait(fd, for: Int16(POLLOUT), until: deadline)
      case .closedByPeer:
        throw TransportError(.connectionLost, "\(what): peer closed the connection", call: "SSL_connect")
      case .failed(let error): throw error
      }
      guard ready else {
        throw TransportError(
          .timeout, "TLS handshake with \(peer) not completed within \(timeout.secondsText)", call: "SSL_connect")
      }
    }
  }
}
