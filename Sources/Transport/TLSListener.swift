import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Accepts TCP connections and runs each one's TLS handshake on its own queue. Handshake failures
/// (plaintext, garbage, an old protocol, a stalled handshake, a bad or missing client certificate) go to
/// `onRefusal` with the peer and a one-line reason, and are closed; OpenSSL sends a TLS alert where the
/// protocol has one. Other connections are never disturbed.
///
/// Admission: a connection is *pending* from accept until its owner calls ``TLSConnection/markAdmitted()``
/// (the server does after an accepted hello) or it closes. Pending connections have a pool of their own
/// (``AdmissionLimits``), so peers that never authenticate cannot take the slots of sessions that did: one
/// source may hold at most `perSource` of them (more are closed at once), and when the pool is full the oldest
/// pending connection of the source holding the most is closed to make room, so a flood recycled against the
/// server cannot keep a legitimate client out.
// @unchecked Sendable: `source`, `paused`, `stopped` and `pending` are touched only on `queue`.
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
  private let limits: AdmissionLimits
  private let onConnection: @Sendable (TLSConnection) -> Void
  private let onRefusal: @Sendable (String, String) -> Void
  private let queue = DispatchQueue(label: "kd.transport.listener")
  private var source: (any DispatchSourceRead)?
  private var stopped = false
  private var paused = false
  /// Pending connections in arrival order (oldest first), with their source address.
  private var pending: [(id: ObjectIdentifier, source: String, connection: TLSConnection)] = []
  private let pendingCount = Locked(0)

  /// Binds and listens on `host` (name, IPv4, IPv6 or `[v6]`; empty or `*` for any) and `port` (0: any free
  /// port). Accepting begins with ``start()``.
  public init(
    host: String, port: UInt16, context: TLSServerContext, limits: AdmissionLimits = AdmissionLimits(),
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
    self.limits = limits
    self.onConnection = onConnection
    self.onRefusal = onRefusal
  }

  /// Connections accepted and not yet admitted or closed.
  public var pendingConnections: Int { pendingCount.withLock { $0 } }

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
    let source = SocketAddress.hostPart(of: peer)
    if pending.lazy.filter({ $0.source == source }).count >= limits.perSource {
      Glibc.close(client)
      onRefusal(peer, "source limit: \(limits.perSource) connections from \(source) not yet admitted")
      return
    }
    if pending.count >= limits.pending, let victim = evictionVictim() {
      remove(victim.id)
      victim.connection.close(flush: false)
      onRefusal(
        victim.connection.peer, "evicted: the pool of \(limits.pending) connections not yet admitted was full")
    }
    let ssl: OpaquePointer
    do throws(TransportError) {
      try Socket.setNonBlocking(client)
      Socket.setNoDelay(client)
      Socket.setKeepAlive(client)
      ssl = try context.makeBoundSSL(fd: client)
    } catch {
      Glibc.close(client)
      onRefusal(peer, error.reason)
      return
    }
    let connection = TLSConnection(
      ssl: ssl, fd: client, peer: peer, handshaking: true, maxPendingOutput: context.options.maxPendingOutputBytes)
    let id = ObjectIdentifier(connection)
    pending.append((id, source, connection))
    pendingCount.withLock { $0 = pending.count }
    connection.acceptHandshake(
      deadline: context.options.handshakeTimeout,
      completion: { [onConnection, onRefusal] result in
        switch result {
        case .success: onConnection(connection)
        case .failure(let error): onRefusal(peer, error.reason)
        }
      },
      onFinished: { [weak self] in
        guard let listener = self else { return }
        listener.queue.async { listener.remove(id) }
      })
  }

  /// The oldest pending connection of the source that holds the most: a flood spread over many sources loses
  /// its own connections first, and a client with one connection pending is the last to go.
  private func evictionVictim() -> (id: ObjectIdentifier, source: String, connection: TLSConnection)? {
    var counts: [String: Int] = [:]
    for entry in pending { counts[entry.source, default: 0] += 1 }
    guard let most = counts.values.max() else { return nil }
    return pending.first { counts[$0.source] == most }
  }

  private func remove(_ id: ObjectIdentifier) {
    guard let index = pending.firstIndex(where: { $0.id == id }) else { return }
    pending.remove(at: index)
    pendingCount.withLock { $0 = pending.count }
  }
}

/// The pool of connections not yet admitted (handshaking, or waiting for their hello). A client with one
/// connection pending is evicted only when no source holds more than one: with `pending` 256 and `perSource` 8,
/// a flood needs more than 256 source addresses before a legitimate client can lose its place.
public struct AdmissionLimits: Sendable {
  /// Pending connections at once; a new one past it closes the oldest of the source holding the most.
  public var pending: Int
  /// Pending connections from one source address; one more is closed at once.
  public var perSource: Int

  public init(pending: Int = 256, perSource: Int = 8) {
    self.pending = max(1, pending)
    self.perSource = max(1, perSource)
  }
}
