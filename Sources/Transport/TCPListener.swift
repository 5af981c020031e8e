import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Accepts plain TCP connections (no TLS) and hands each to `onConnection` as a ``SocketByteLink``: for
/// protocols with no security of their own, served on loopback only (the owner decides, from ``isLoopback``).
/// At most `maxConnections` are open at once; one more is closed at once and reported to `onRefusal`.
///
/// `@unchecked Sendable`: `source`, `stopped` and `open` are touched only on `queue`.
public final class TCPListener: @unchecked Sendable {
  public let localPort: UInt16
  public let localAddress: String
  /// True when the bound address is loopback only (127.0.0.0/8 or ::1).
  public let isLoopback: Bool
  private let fd: Int32
  private let maxConnections: Int
  private let onConnection: @Sendable (SocketByteLink) -> Void
  private let onRefusal: @Sendable (String, String) -> Void
  private let queue = DispatchQueue(label: "kd.transport.tcp-listener")
  private var source: (any DispatchSourceRead)?
  private var stopped = false
  private var paused = false
  private var open = 0

  /// Binds and listens on `host` and `port` (0: any free port). Accepting begins with ``start()``.
  public init(
    host: String, port: UInt16, maxConnections: Int,
    onConnection: @escaping @Sendable (SocketByteLink) -> Void,
    onRefusal: @escaping @Sendable (_ peer: String, _ reason: String) -> Void
  ) throws(TransportError) {
    Transport.ignoreSIGPIPE()
    let address = try SocketAddress.resolve(host: host, port: port, passive: true)[0]
    fd = try Socket.listen(on: address)
    let bound = Socket.localAddress(fd) ?? address
    localPort = bound.port
    localAddress = bound.description
    isLoopback = bound.isLoopback
    self.maxConnections = max(1, maxConnections)
    self.onConnection = onConnection
    self.onRefusal = onRefusal
  }

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

  /// A connection handed out has ended (its owner calls this once, from any thread).
  public func connectionEnded() {
    queue.async { [self] in open = max(0, open - 1) }
  }

  private func acceptAll() {
    while true {
      let (client, address) = SocketAddress.filled { accept(fd, $0, $1) }
      if client < 0 {
        switch errno {
        case EINTR, ECONNABORTED: continue
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
          // The connection stays queued and readiness would fire again at once: pause instead of spinning.
          guard let source, !paused else { return }
          paused = true
          source.suspend()
          queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            guard paused, let source = self.source else { return }
            paused = false
            source.resume()
          }
        default: break  // EAGAIN: all accepted
        }
        return
      }
      let peer = address.description
      guard open < maxConnections else {
        Glibc.close(client)
        onRefusal(peer, "\(open) connections are open, the most this endpoint takes")
        continue
      }
      do throws(TransportError) {
        try Socket.setNonBlocking(client)
      } catch {
        Glibc.close(client)
        onRefusal(peer, error.reason)
        continue
      }
      Socket.setNoDelay(client)
      Socket.setKeepAlive(client)
      open += 1
      onConnection(SocketByteLink(fd: client, peer: peer))
    }
  }
}
