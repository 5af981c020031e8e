import Dispatch
import KDKernel
import KDProtocol
import KDTransport
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The target daemon: a ``TargetHost`` (the kernel and its sessions) behind a TLS listener, with signals,
/// systemd readiness and the operator's log lines.
///
/// `@unchecked Sendable`: `listener` and `signalSources` are written once in `start()` before any other thread can
/// see the daemon, and only read afterwards.
public final class Daemon: @unchecked Sendable {
  public let configuration: ServerConfiguration
  let logger: Logger
  public let host: TargetHost
  let tls: TLSServerContext
  private var listener: TLSListener?
  private var gdbListener: TCPListener?
  private var kdcomListener: TCPListener?
  private var signalSources: [DispatchSourceSignal] = []
  private let stopped = DispatchSemaphore(value: 0)
  private let refusals: RefusalLog
  /// Unsent output across every connection, bounded by `configuration.maxBufferedBytes`.
  private let outputPool: OutputBudget.Pool

  /// Where the daemon listens, once started.
  public private(set) var port: UInt16 = 0
  /// Where the GDB remote endpoint listens, once started (0: none).
  public private(set) var gdbPort: UInt16 = 0
  /// Where the KDCOM endpoint listens, once started (0: none).
  public private(set) var kdcomPort: UInt16 = 0
  public var fingerprint: String { tls.fingerprint }

  public init(configuration: ServerConfiguration, logger: Logger) throws {
    try configuration.validate()
    self.configuration = configuration
    self.logger = logger
    let token = try configuration.tokenPath.map { path throws(ServerError) in try AccessToken.load(path: path) }
    tls = try TLSServerContext(
      options: TLSServerOptions(
        certificatePath: configuration.certificatePath, keyPath: configuration.keyPath,
        stateDirectory: configuration.stateDirectory, clientCAPath: configuration.clientCAPath,
        allowTLS12: configuration.allowTLS12, handshakeTimeout: configuration.handshakeTimeout,
        maxPendingOutputBytes: configuration.maxPendingOutputBytes * 2))
    refusals = RefusalLog(logger: logger, interval: configuration.refusalLogInterval)
    outputPool = OutputBudget.Pool(limit: configuration.maxBufferedBytes)
    var policy = SessionPolicy(serverName: TargetHost.serverName, token: token)
    policy.helloTimeout = configuration.helloTimeout
    policy.frameTimeout = configuration.frameTimeout
    policy.maxPayload = configuration.maxPayload
    policy.maxPendingOutputBytes = configuration.maxPendingOutputBytes
    policy.allowTakeover = configuration.allowTakeover
    policy.resumeAfter = configuration.resumeAfter
    policy.maxObservers = configuration.maxObservers
    policy.maxSessions = configuration.maxConnections
    policy.window = configuration.window
    let once = configuration.once
    let stopBox = WeakDaemon()
    host = try TargetHost(
      kernel: KernelConfiguration(
        scenario: configuration.scenario, seed: configuration.seed, pace: configuration.pace,
        era: configuration.era.flatMap(KernelEra.init(rawValue:)),
        scenariosDirectory: configuration.scenariosDirectory, breakAtBoot: configuration.breakAtBoot,
        verifier: configuration.verifier),
      policy: policy, logger: logger,
      onSessionEnded: {
        guard once, let daemon = stopBox.daemon else { return }
        daemon.logger.info("first session ended (--once): stopping")
        daemon.stop(reason: "kdserver --once: the session ended")
      })
    stopBox.daemon = self
  }

  /// Starts the kernel and the listener; returns once connections are accepted. Refuses to serve a
  /// non-loopback address without client authentication, decided on the address actually bound.
  public func start() throws {
    let host = self.host
    let refusals = self.refusals
    let budget = OutputBudget(perLink: configuration.linkOutputBudget, pool: outputPool)
    let listener = try TLSListener(
      host: configuration.host, port: configuration.port, context: tls,
      limits: AdmissionLimits(pending: configuration.maxPending, perSource: configuration.maxPendingPerSource),
      onConnection: { connection in host.serve(TLSFrameLink(connection, budget: budget)) },
      onRefusal: { peer, reason in refusals.record(peer: peer, reason: reason) })
    let authenticated = configuration.clientCAPath != nil || configuration.tokenPath != nil
    guard listener.isLoopback || authenticated else {
      listener.stop()
      throw ServerError.configuration(
        "refusing to listen on \(listener.localAddress) (from --listen \(configuration.host)) without client "
          + "authentication: it is not a loopback address. Add --client-ca CA.pem (mutual TLS) and/or "
          + "--token-file FILE, or listen on 127.0.0.1")
    }
    let gdb: TCPListener?
    let kdcom: TCPListener?
    do {
      gdb = try startGDBListener()
      do {
        kdcom = try startKDCOMListener()
      } catch {
        gdb?.stop()
        throw error
      }
    } catch {
      listener.stop()
      throw error
    }
    self.listener = listener
    port = listener.localPort
    host.start()
    listener.start()
    var modes: [String] = []
    if configuration.clientCAPath != nil { modes.append("mutual-tls") }
    if configuration.tokenPath != nil { modes.append("token") }
    logger.notice(
      "listening on \(listener.localAddress)",
      metadata: [
        "fingerprint": "\(tls.fingerprint)", "scenario": "\(configuration.scenario)",
        "auth": "\(modes.isEmpty ? "none" : modes.joined(separator: "+"))",
        "bound": "\(listener.isLoopback ? "loopback" : "network")",
      ])
    if let gdb {
      gdbListener = gdb
      gdbPort = gdb.localPort
      gdb.start()
      logger.notice("gdb-remote listening on \(gdb.localAddress)", metadata: ["bound": "loopback", "auth": "none"])
    }
    if let kdcom {
      kdcomListener = kdcom
      kdcomPort = kdcom.localPort
      kdcom.start()
      logger.notice("kdcom listening on \(kdcom.localAddress)", metadata: ["bound": "loopback", "auth": "none"])
    }
    if tls.generatedSelfSigned {
      logger.notice(
        "using the self-signed certificate in \(configuration.stateDirectory); clients pin it with --fingerprint \(tls.fingerprint)"
      )
    }
  }

  /// The GDB remote endpoint, bound but not yet accepting; refused unless the bound address is loopback (GDB's
  /// protocol has neither encryption nor authentication).
  private func startGDBListener() throws -> TCPListener? {
    guard let gdbHost = configuration.gdbHost else { return nil }
    let host = self.host
    return try plainTCPEndpoint(
      name: "gdb-remote", flag: "--gdb-listen", host: gdbHost, port: configuration.gdbPort,
      maxConnections: configuration.maxGDBConnections, protocolName: "the GDB remote protocol", doc: "docs/GDB.md"
    ) { link, onEnded in host.serveGDB(link, onEnded: onEnded) }
  }

  /// The KDCOM endpoint (KD's serial protocol over TCP, for Microsoft's kd and WinDbg), bound but not yet
  /// accepting; loopback only, as the GDB endpoint.
  private func startKDCOMListener() throws -> TCPListener? {
    guard let kdcomHost = configuration.kdcomHost else { return nil }
    let host = self.host
    return try plainTCPEndpoint(
      name: "kdcom", flag: "--kdcom-listen", host: kdcomHost, port: configuration.kdcomPort,
      maxConnections: configuration.maxKDCOMConnections, protocolName: "KD's serial protocol",
      doc: "docs/WINDBG.md"
    ) { link, onEnded in host.serveKDCOM(link, onEnded: onEnded) }
  }

  /// A plain-TCP listener for a protocol without encryption or authentication: refused unless the address
  /// actually bound is a loopback one (decided on the bound address, so a name that resolves to 0.0.0.0 is
  /// refused too).
  private func plainTCPEndpoint(
    name: String, flag: String, host endpointHost: String, port: UInt16, maxConnections: Int, protocolName: String,
    doc: String, serve: @escaping @Sendable (any ByteLink, @escaping @Sendable () -> Void) -> Void
  ) throws -> TCPListener {
    let logger = self.logger
    let box = WeakTCPListener()
    let listener = try TCPListener(
      host: endpointHost, port: port, maxConnections: maxConnections,
      onConnection: { link in
        logger.info("\(name) connection", metadata: ["peer": "\(link.peer)"])
        serve(link) { box.listener?.connectionEnded() }
      },
      onRefusal: { peer, reason in
        logger.notice("\(name) connection refused", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
      })
    box.listener = listener
    guard listener.isLoopback else {
      listener.stop()
      throw ServerError.configuration(
        "refusing \(flag) \(endpointHost):\(port): it binds \(listener.localAddress), not a loopback "
          + "address, and \(protocolName) has no encryption and no authentication. Listen on 127.0.0.1 "
          + "and reach it with ssh -L or stunnel (\(doc))")
    }
    return listener
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
    gdbListener?.stop()
    kdcomListener?.stop()
    host.disconnectAll(reason: reason)
    refusals.flush()
    // Give goodbyes a moment to reach the clients before the process goes.
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { [self] in
      host.shutdown()
      stopped.signal()
    }
  }

  /// Blocks until `stop` has finished.
  public func waitUntilStopped() { stopped.wait() }

  /// Unsent output across all connections now (the bound is `maxBufferedBytes`).
  public var bufferedOutputBytes: Int { outputPool.bytes }
}

/// Lets a GDB connection's end reach its listener without keeping it alive. `@unchecked Sendable`: `listener`
/// is written once, right after the listener is made and before it accepts.
private final class WeakTCPListener: @unchecked Sendable {
  weak var listener: TCPListener?
}

/// Lets the host's session-ended callback reach the daemon that owns the host without keeping it alive.
/// `@unchecked Sendable`: `daemon` is written once, at the end of `Daemon.init`, before any session exists.
private final class WeakDaemon: @unchecked Sendable {
  weak var daemon: Daemon?
}
