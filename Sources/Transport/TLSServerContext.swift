internal import COpenSSL
import Foundation

/// The server's TLS configuration: identity, client-CA policy, protocol floor. ``reload()`` swaps in a
/// new `SSL_CTX` for connections accepted afterwards; sessions already running keep the one they began with.
public final class TLSServerContext: @unchecked Sendable {  // safe: mutable state lives in `current` (locked)
  public let options: TLSServerOptions
  /// True when this context generated a new self-signed identity in the state directory (first start);
  /// false when it loaded configured or previously generated files.
  public let generatedSelfSigned: Bool

  private struct Loaded {
    var context: OpaquePointer  // SSL_CTX *, owned
    var fingerprint: String
    var subject: String
  }
  private let current: Locked<Loaded>

  public init(options: TLSServerOptions) throws(TransportError) {
    self.options = options
    let (loaded, generated) = try Self.load(options)
    self.generatedSelfSigned = generated
    self.current = Locked(loaded)
  }

  deinit {
    current.withLock { SSL_CTX_free($0.context) }
  }

  /// SHA-256 fingerprint of the certificate new connections are served with (``CertificateFingerprint`` format).
  public var fingerprint: String { current.withLock { $0.fingerprint } }

  /// Subject of that certificate, RFC 2253 (`CN=kdserver`).
  public var certificateSubject: String { current.withLock { $0.subject } }

  /// Reads certificate, key and client CA again (for SIGHUP). On failure the previous configuration stays.
  public func reload() throws(TransportError) {
    let (loaded, _) = try Self.load(options)
    let old = current.withLock { state in
      let old = state.context
      state = loaded
      return old
    }
    SSL_CTX_free(old)  // connections hold their own reference through their SSL
  }

  /// A new server-side `SSL` from the current context, on socket `fd`.
  func makeBoundSSL(fd: Int32) throws(TransportError) -> OpaquePointer {
    OpenSSLErrors.clear()
    guard let ssl = current.withLock({ SSL_new($0.context) }) else {
      throw OpenSSLErrors.error(call: "SSL_new", "cannot start a TLS session")
    }
    guard SSL_set_fd(ssl, fd) == 1 else {
      SSL_free(ssl)
      throw OpenSSLErrors.error(call: "SSL_set_fd", "cannot start a TLS session")
    }
    return ssl
  }

  private static func load(_ options: TLSServerOptions) throws(TransportError) -> (Loaded, Bool) {
    let generated: Bool
    let certificate: String
    let key: String
    if let (configuredCertificate, configuredKey) = try SSLContextSetup.pair(
      options.certificatePath, options.keyPath, what: "server identity")
    {
      (certificate, key, generated) = (configuredCertificate, configuredKey, false)
    } else {
      (certificate, key, generated) = try SelfSignedIdentity.ensure(in: options.stateDirectory)
    }
    let context = try SSLContextSetup.make(server: true, allowTLS12: options.allowTLS12)
    do throws(TransportError) {
      try SSLContextSetup.useIdentity(context, certificate: certificate, key: key)
      if let clientCA = options.clientCAPath {
        try SSLContextSetup.trust(context, caFile: clientCA)
        guard let names = SSL_load_client_CA_file(clientCA) else {
          throw OpenSSLErrors.error(.configuration, call: "SSL_load_client_CA_file", "no CA certificate in \(clientCA)")
        }
        SSL_CTX_set_client_CA_list(context, names)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
      }
      // Resumption (TLS 1.3 tickets, TLS 1.2 ids) with client verification needs a session id context, or
      // OpenSSL refuses every resumed handshake (alert 80, "session id context uninitialized"). It names the
      // trust the session was verified under: a session verified against another client CA is not resumed.
      // Tickets are sealed with this context's own key, so they resume only in this server's lifetime.
      var idContext = Array("kdserver".utf8)
      if let clientCA = options.clientCAPath, let bundle = FileManager.default.contents(atPath: clientCA) {
        var hasher = Hasher()
        hasher.combine(bundle)
        withUnsafeBytes(of: hasher.finalize().littleEndian) { idContext.append(contentsOf: $0) }
      }
      guard SSL_CTX_set_session_id_context(context, idContext, UInt32(idContext.count)) == 1 else {
        throw OpenSSLErrors.error(call: "SSL_CTX_set_session_id_context", "cannot enable session resumption")
      }
      guard let leaf = SSL_CTX_get0_certificate(context) else {
        throw TransportError(.configuration, "no certificate in \(certificate)")
      }
      let loaded = Loaded(
        context: context, fingerprint: CertificateFingerprint.of(leaf),
        subject: X509Name.text(X509_get_subject_name(leaf)) ?? "?")
      return (loaded, generated)
    } catch {
      SSL_CTX_free(context)
      throw error
    }
  }
}
