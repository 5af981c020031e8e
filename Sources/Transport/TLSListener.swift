import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Accepts TCP connections and runs each one's TLS handshake on its own queue. Handshake failures
/// (plaintext, garbage, an old protocol, a stalled handshake, a bad or missing client certificate) and
/// connections over `maxConnections` go to `onRefusal` with the peer and a one-line reason, and are closed;
/// OpenSSL sends a TLS alert where the protocol has one. Other connections are never disturbed.
// @unchecked Sendable: `source` is touched only on `queue`; the count is `Locked`.
public final class TLSListener: @unchecked Sendable {
  /// The port actually bound (useful when asked for port 0).
  public let localPort: UInt16
  /// `127.0.0.1:7725` or `[::1]:7725`, with the bound port.
  public let localAddress: String

  /// True when the bound address is loopback only (127.0.0.0/8 or ::1): the daemon may then run without an
  /// authentication mode. A wildcard (`0.0.0.0`, `::`) or any other address is not loopback.
  public let isLoopback: Bool

  private let fd: Int32
  private let context: TLSServerContext
  private let maxConnections: Int
  private let onConnection: @Sendable (TLSConnection) -> Void
  private let onRefusal: @Sendable (String, String) -> Void
  private let queue = DispatchQueue(label: "kd.transport.listener")
  private var source: (any DispatchSourceRead)?
  private var stopped = false
  private var paused = false
  private let active = Locked(0)

  /// Binds and listens on `host` (name, IPv4, IPv6 or `[v6]`; empty or `*` for any) and `port` (0: any free
  /// port). Accepting begins with ``start()``.
  public init(
    host: String, port: UInt16, context: TLSServerContext, maxConnections: Int,
    onConnection: @escaping @Sendable (TLSConnection) -> Void,
    onRefusal: @escaping @Sendable (_ peer: String, _ reason: String) -> Void
  ) throws(TransportError) {
    Transport.ignoreSIGPIPE()
    let address = try SocketAddress.resolve(host: host, port: port, passive: true)[0]
    fd = try Socket.listen(on: address)
    let bound = Socket.localAddress(fd) ?? address
    localPort = bound.port
    localAddress = bound.description
    isLoopback = bound.isLoopback
    self.context = context
    self.maxConnections = maxConnections
    self.onConnection = onConnection
    self.onRefusal = onRefusal
  }

  /// Connections accepted and not yet closed (handshaking or open).
  public var activeConnections: Int { active.withLock { $0 } }

  /// Starts accepting.
  public func start() {
    queue.async { [self] in
      guard source == nil, !stopped else { return }
      let accepting = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
      accepting.setEventHandler { [self] in acceptAll() }
      accepting.setCancelHandler { [fd] in _ = Glibc.close(fd) }
      source = accepting
      accepting.resume()
    }
  }

  /// Stops accepting and closes the listening socket; established connections go on.
  public func stop() {
    queue.async { [self] in
      guard !stopped else { return }
      stopped = true
      if let source {
        source.cancel()
        if paused { source.resume() }  // a suspended source never runs its cancel handler
        paused = false
        self.source = nil
      } else {
        Glibc.close(fd)
      }
    }
  }

  private func acceptAll() {
    while true {
      let (client, address) = SocketAddress.filled { accept(fd, $0, $1) }
      if client < 0 {
        switch errno {
        case EINTR, ECONNABORTED: continue
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: pauseAccepting()
        default: break  // EAGAIN: all accepted
        }
        return
      }
      admit(client, peer: address.description)
    }
  }

  /// Out of descriptors or memory: the pending connection stays queued and the source would fire again at
  /// once, so stop accepting for a moment instead of spinning.
  private func pauseAccepting() {
    guard let source, !paused else { return }
    paused = true
    source.suspend()
    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
      guard paused, let source = self.source else { return }
      paused = false
      source.resume()
    }
  }

  private func admit(_ client: Int32, peer: String) {
    let admitted = active.withLock { count in
      guard count < maxConnections else { return false }
      count += 1
      return true
    }
    guard admitted else {
      Glibc.close(client)
      onRefusal(peer, "connection limit reached (\(maxConnections) connections)")
      return
    }
    let ssl: OpaquePointer
    do throws(TransportError) {
      try Socket.setNonBlocking(client)
      Socket.setNoDelay(client)
      Socket.setKeepAlive(client)
      ssl = try context.makeBoundSSL(fd: client)
    } catch {
      Glibc.close(client)
      active.withLock { $0 -= 1 }
      onRefusal(peer, error.reason)
      return
    }
    let connection = TLSConnection(
      ssl: ssl, fd: client, peer: peer, handshaking: true, maxPendingOutput: context.options.maxPendingOutputBytes)
    connection.acceptHandshake(
      deadline: context.options.handshakeTimeout,
      completion: { [onConnection, onRefusal] result in
        switch result {
        case .success: onConnection(connection)
        case .failure(let error): onRefusal(peer, error.reason)
        }
      },
      onFinished: { [active] in active.withLock { $0 -= 1 } })
  }
}
