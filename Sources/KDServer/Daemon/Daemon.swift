import Dispatch
import KDKernel
import KDProtocol
import KDTransport
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The target daemon: the simulated kernel, the TLS listener and the sessions, wired together.
///
/// `@unchecked Sendable`: `listener`, `hub` and `signalSources` are written once in `start()` before any other
/// thread can see the daemon, and only read afterwards.
public final class Daemon: @unchecked Sendable {
  public static let serverName = "kdserver 0.1 (swift-kd)"

  public let configuration: ServerConfiguration
  let logger: Logger
  let kernel: Kernel
  let tls: TLSServerContext
  let token: AccessToken?
  private var listener: TLSListener?
  private var hub: TargetHub?
  private var signalSources: [DispatchSourceSignal] = []
  private let stopped = DispatchSemaphore(value: 0)

  /// Where the daemon listens, once started.
  public private(set) var port: UInt16 = 0
  public var fingerprint: String { tls.fingerprint }

  public init(configuration: ServerConfiguration, logger: Logger) throws {
    try configuration.validate()
    self.configuration = configuration
    self.logger = logger
    token = try configuration.tokenPath.map { path throws(ServerError) in try AccessToken.load(path: path) }
    tls = try TLSServerContext(
      options: TLSServerOptions(
        certificatePath: configuration.certificatePath, keyPath: configuration.keyPath,
        stateDirectory: configuration.stateDirectory, clientCAPath: configuration.clientCAPath,
        allowTLS12: configuration.allowTLS12, handshakeTimeout: configuration.handshakeTimeout,
        maxPendingOutputBytes: configuration.maxPendingOutputBytes * 2))
    kernel = try Kernel(
      configuration: KernelConfiguration(
        scenario: configuration.scenario, seed: configuration.seed, pace: configuration.pace,
        era: configuration.era.flatMap(KernelEra.init(rawValue:)), scenariosDirectory: configuration.scenariosDirectory)
    )
  }

  /// Starts the kernel and the listener; returns once connections are accepted.
  public func start() throws {
    let hub = try TargetHub(kernel: kernel, configuration: configuration, logger: logger) { [weak self] in
      guard let self, self.configuration.once else { return }
      self.logger.info("first session ended (--once): stopping")
      self.stop(reason: "kdserver --once: the session ended")
    }
    self.hub = hub
    kernel.setEventHandler { event in hub.kernelEvent(event) }
    let logger = self.logger
    let token = self.token
    let listener = try TLSListener(
      host: configuration.host, port: configuration.port, context: tls, maxConnections: configuration.maxConnections,
      onConnection: { connection in
        Session(connection: connection, hub: hub, token: token, logger: logger).start()
      },
      onRefusal: { peer, reason in
        logger.notice("refused connection: \(reason)", metadata: ["peer": "\(peer)"])
      })
    self.listener = listener
    port = listener.localPort
    kernel.start()
    listener.start()
    let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
    logger.notice(
      "listening on \(shownHost):\(listener.localPort)",
      metadata: ["fingerprint": "\(tls.fingerprint)", "scenario": "\(configuration.scenario)"])
    if tls.generatedSelfSigned {
      logger.notice(
        "using the self-signed certificate in \(configuration.stateDirectory); clients pin it with --fingerprint \(tls.fingerprint)"
      )
    }
  }

  /// Runs until SIGTERM/SIGINT (then exits 0), reloading certificates on SIGHUP. Tells systemd when ready.
  public func runUntilSignalled() throws -> Never {
    for sig in [SIGTERM, SIGINT, SIGHUP] { signal(sig, SIG_IGN) }
    let queue = DispatchQueue(label: "kdserver.signals")
    for sig in [SIGTERM, SIGINT] {
      let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
      source.setEventHandler { [self] in
        logger.notice("signal \(sig == SIGTERM ? "SIGTERM" : "SIGINT"): stopping")
        stop(reason: "kdserver is shutting down")
      }
      source.resume()
      signalSources.append(source)
    }
    let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
    hup.setEventHandler { [self] in
      do {
        try tls.reload()
        logger.notice("SIGHUP: certificates reloaded", metadata: ["fingerprint": "\(tls.fingerprint)"])
      } catch {
        logger.error("SIGHUP: certificate reload failed, keeping the old ones: \(error)")
      }
    }
    hup.resume()
    signalSources.append(hup)
    try start()
    SystemdNotifier.notify("READY=1\nSTATUS=listening on port \(port)")
    stopped.wait()
    exit(0)
  }

  /// Tells every client, stops accepting, stops the kernel. Safe to call more than once.
  public func stop(reason: String) {
    SystemdNotifier.notify("STOPPING=1")
    listener?.stop()
    hub?.shutdown(reason: reason)
    // Give goodbyes a moment to reach the clients before the process goes.
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { [self] in
      kernel.shutdown()
      stopped.signal()
    }
  }

  /// Blocks until `stop` has finished.
  public func waitUntilStopped() { stopped.wait() }
}
