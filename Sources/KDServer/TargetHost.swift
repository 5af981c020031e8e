import Dispatch
import KDKernel
import KDTransport
import Logging

/// The simulated target and the sessions attached to it, with no network of its own: ``Daemon`` puts a TLS
/// listener in front of it, and `kd`'s embedded target attaches through ``attachInMemory()``. Every session,
/// whatever its link, sees the same kernel, roles and events.
public final class TargetHost: Sendable {
  public static let serverName = "kdserver 0.1 (swift-kd)"

  let kernel: Kernel
  let hub: TargetHub
  public let policy: SessionPolicy
  let clock: any SessionClock
  let logger: Logger

  /// Boots the kernel (it starts running at ``start()``). `onSessionEnded` runs after each session ends.
  public init(
    kernel configuration: KernelConfiguration, policy: SessionPolicy, clock: any SessionClock = DispatchSessionClock(),
    logger: Logger, onSessionEnded: @escaping @Sendable () -> Void = {}
  ) throws(KernelError) {
    kernel = try Kernel(configuration: configuration)
    self.policy = policy
    self.clock = clock
    self.logger = logger
    let hub = try TargetHub(
      kernel: kernel, policy: policy, clock: clock, logger: logger, onSessionEnded: onSessionEnded)
    self.hub = hub
    kernel.setEventHandler { event in hub.kernelEvent(event) }
  }

  /// The target starts running (once).
  public func start() { kernel.start() }

  /// Serves a session on `link` (a TLS connection the daemon accepted, or one end of a memory pair).
  public func serve(_ link: any FrameLink) {
    Session(link: link, hub: hub, policy: policy, clock: clock, logger: logger).start()
  }

  /// Serves a GDB remote client on `link` (a connection the daemon's GDB endpoint accepted, or one end of a
  /// memory pair). `onEnded` runs once when the session ends.
  public func serveGDB(_ link: any ByteLink, onEnded: @escaping @Sendable () -> Void = {}) {
    GDBSession(link: link, hub: hub, logger: logger, onEnded: onEnded).start()
  }

  /// A GDB session over an in-memory link: returns the client's end, ready for ``ByteLink/start(_:)``.
  public func attachGDBInMemory() -> any ByteLink {
    let (client, server) = MemoryByteLink.pair(names: ("gdb", "kdserver"))
    serveGDB(server)
    return client
  }

  /// Serves a KD serial-protocol peer (Microsoft's kd or WinDbg through the daemon's KDCOM endpoint, or one end
  /// of a memory pair). `onEnded` runs once when the session ends.
  public func serveKDCOM(_ link: any ByteLink, onEnded: @escaping @Sendable () -> Void = {}) {
    KDCOMSession(link: link, hub: hub, clock: clock, logger: logger, onEnded: onEnded).start()
  }

  /// A KDCOM session over an in-memory link: returns the client's end, ready for ``ByteLink/start(_:)``.
  public func attachKDCOMInMemory() -> any ByteLink {
    let (client, server) = MemoryByteLink.pair(names: ("kd", "kdserver"))
    serveKDCOM(server)
    return client
  }

  /// A session over an in-memory link: returns the client's end, ready for ``FrameLink/start(_:)`` and a hello.
  /// No socket, no TLS, no file.
  public func attachInMemory(budget: OutputBudget = OutputBudget(perLink: 4 << 20)) -> any FrameLink {
    let (client, server) = MemoryFrameLink.pair(budget: budget, names: ("kd", "kdserver"))
    serve(server)
    return client
  }

  /// Sessions attached now.
  public var sessionCount: Int { hub.sessionCount }

  /// Tells every session why, and disconnects it.
  public func disconnectAll(reason: String) { hub.shutdown(reason: reason) }

  /// Stops the kernel for good.
  public func shutdown() { kernel.shutdown() }
}
