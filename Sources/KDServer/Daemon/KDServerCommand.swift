import ArgumentParser
import KDKernel
import KDProtocol
import KDTransport
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// `kdserver`: the target daemon.
public struct KDServerCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "kdserver",
    abstract: "Hosts a simulated 32-bit Windows-style kernel and serves KD-style debuggers over TLS.",
    discussion: """
      Runs in the foreground (systemd Type=notify ready). SIGTERM stops cleanly (exit 0), SIGHUP reloads the \
      certificates without dropping sessions. The first stderr line says 'listening on HOST:PORT' and the \
      certificate's SHA-256 fingerprint. See docs/DEPLOY.md.
      """,
    version: "kdserver \(ReleaseVersion.number) (swift-kd, protocol \(ProtocolVersion.major).\(ProtocolVersion.minor))")

  @Option(help: "Address and port to listen on (port 0: any free port).")
  var listen = "127.0.0.1:\(ServerConfiguration.defaultPort)"
  @Option(
    name: .customLong("gdb-listen"),
    help: ArgumentHelp(
      "Also serve the target over the GDB remote protocol (gdb, lldb, Ghidra) on this loopback address and port. "
        + "Plain TCP, no authentication: loopback only; remote use goes through ssh -L or stunnel (docs/GDB.md).",
      valueName: "host:port"))
  var gdbListen: String?
  @Option(
    name: .customLong("kdcom-listen"),
    help: ArgumentHelp(
      "Also serve the target over KD's serial protocol, as a kdcom target over TCP, on this loopback address and "
        + "port: Microsoft's kd and WinDbg attach with -k com:ipport=PORT,port=HOST. Plain TCP, no "
        + "authentication: loopback only; remote use goes through ssh -L or stunnel (docs/WINDBG.md).",
      valueName: "host:port"))
  var kdcomListen: String?
  @Option(help: "Server certificate (PEM). Default: a self-signed one generated once into --state-dir.")
  var cert: String?
  @Option(help: "Private key of --cert (PEM).")
  var key: String?
  @Option(name: .customLong("client-ca"), help: "Require client certificates issued by this CA (mutual TLS).")
  var clientCA: String?
  @Option(name: .customLong("token-file"), help: "Require this token (>= 128 bits) in each client's hello.")
  var tokenFile: String?
  @Option(
    name: .customLong("state-dir"),
    help: "Where the generated identity is kept. Default: $STATE_DIRECTORY, else ~/.local/state/kdserver.")
  var stateDir: String?
  @Flag(
    name: .customLong("allow-insecure-permissions"),
    help: "Accept a --key or --token-file group or others can open, and a --state-dir they can write.")
  var allowInsecurePermissions = false
  @Option(help: "Scenario: a bundled name or a manifest path.")
  var scenario = "default"
  @Option(
    help: ArgumentHelp(
      "Directory of the bundled scenarios. Default: ../share/swift-kd/Scenarios from the executable's directory, "
        + "else swift-kd_KDKernel.resources/Scenarios beside it.", valueName: "dir"))
  var scenarios: String?
  @Option(help: "Seed of the deterministic scheduler and random numbers. Default: the scenario's.")
  var seed: UInt64?
  @Option(help: "Virtual seconds per wall second; 0 runs as fast as possible. Default: the scenario's.")
  var pace: Double?
  @Option(
    help: "Kernel era: 'xp' (pool tagging off until !gflag +ptg and .reboot) or 'server2003'. Default: the scenario's.")
  var era: String?
  @Flag(
    name: .customLong("break-at-boot"),
    help:
      "Halt the kernel before its first instruction at every boot, until a debugger resumes it (with --pace 0, every run is the same)."
  )
  var breakAtBoot = false
  @Option(
    name: .customLong("verifier"),
    help: ArgumentHelp(
      "Driver Verifier at boot, as verifier.exe /flags F /driver Name.sys: Pool Tracking (0x8) for a driver, "
        + "e.g. Abc.sys:0x8. Repeatable. .verifier in kd changes it for the next boot.", valueName: "Name.sys:flags"))
  var verifier: [String] = []
  @Option(name: .customLong("max-connections"), help: "Most sessions attached at once (controller and observers).")
  var maxConnections = 64
  @Option(name: .customLong("max-observers"), help: "Most observers attached at once.")
  var maxObservers = 16
  @Option(
    name: .customLong("max-pending"),
    help: "Most connections not yet admitted (TLS handshake, then hello); past it the oldest is closed.")
  var maxPending = 256
  @Option(name: .customLong("max-pending-per-source"), help: "Most connections not yet admitted from one address.")
  var maxPendingPerSource = 8
  @Option(
    name: .customLong("refusal-log-seconds"),
    help: "Refused connections after the first are logged as one summary line per this many seconds.")
  var refusalLogSeconds = 10
  @Option(help: "Requests a client may have in flight (advertised in HELLO_REPLY).")
  var window = SessionPolicy.defaultWindow
  @Option(
    name: .customLong("max-buffered-mib"),
    help: "Unsent output across all connections, in MiB; past it, busy connections wait for theirs to drain.")
  var maxBufferedMiB = 32
  @Flag(name: .customLong("allow-takeover"), help: "A new controller takes over from the current one.")
  var allowTakeover = false
  @Option(
    name: .customLong("resume-after"),
    help: "Resume a halted target after its controller has been gone this many seconds (default: stay halted, as KD).")
  var resumeAfter: Int?
  @Flag(name: .customLong("allow-tls12"), help: "Also accept TLS 1.2 (default: TLS 1.3 only).")
  var allowTLS12 = false
  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
  var logLevel = "info"
  @Flag(help: "Exit after the first session ends.")
  var once = false
  @Option(
    help: ArgumentHelp(
      "Health check instead of serving: connect to a running kdserver at HOST:PORT, pin the certificate it uses "
        + "(--cert, else the self-signed one in --state-dir), say hello as an observer with --token-file, and exit 0 "
        + "when it answers (printing 'ok: ...'), 1 otherwise. Give it the server's own flags.",
      valueName: "host:port"))
  var probe: String?
  @Option(name: .customLong("probe-timeout"), help: "Seconds the probe waits for the server's hello reply.")
  var probeTimeout: Double = 5

  public init() {}

  public func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
    }
    _ = try Self.split(listen)
    if let gdbListen { _ = try Self.split(gdbListen, flag: "--gdb-listen") }
    if let kdcomListen { _ = try Self.split(kdcomListen, flag: "--kdcom-listen") }
    if let probe { _ = try Self.split(probe, flag: "--probe") }
    guard probeTimeout.isFinite, probeTimeout > 0, probeTimeout <= 3600 else {
      throw ValidationError("--probe-timeout must be a number of seconds in (0, 3600], not \(probeTimeout)")
    }
    if let era, era != "xp" && era != "server2003" { throw ValidationError("--era must be xp or server2003") }
    for (name, value, range) in [
      ("--max-connections", maxConnections, 1...4096), ("--max-observers", maxObservers, 0...4096),
      ("--max-pending", maxPending, 1...65536), ("--max-pending-per-source", maxPendingPerSource, 1...65536),
      ("--window", window, 1...Int(UInt16.max)), ("--refusal-log-seconds", refusalLogSeconds, 1...3600),
      ("--max-buffered-mib", maxBufferedMiB, 1...65536),
    ] where !range.contains(value) {
      throw ValidationError("\(name) must be in \(range.lowerBound)...\(range.upperBound), not \(value)")
    }
  }

  static func split(_ listen: String, flag: String = "--listen") throws -> (String, UInt16) {
    var host = listen
    var portText = ""
    if let colon = listen.lastIndex(of: ":") {
      host = String(listen[..<colon])
      portText = String(listen[listen.index(after: colon)...])
    }
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty, let port = UInt16(portText) else {
      throw ValidationError("\(flag) must be HOST:PORT (e.g. 127.0.0.1:7725 or [::1]:0), not '\(listen)'")
    }
    return (host, port)
  }

  public static func defaultStateDirectory() -> String {
    if let dir = getenv("STATE_DIRECTORY").map({ String(cString: $0) }), !dir.isEmpty {
      return String(dir.split(separator: ":").first ?? "")
    }
    let home = getenv("HOME").map { String(cString: $0) } ?? "/tmp"
    return home + "/.local/state/kdserver"
  }

  public func makeConfiguration() throws -> ServerConfiguration {
    let (host, port) = try Self.split(listen)
    var c = ServerConfiguration(stateDirectory: stateDir ?? Self.defaultStateDirectory())
    c.host = host
    c.port = port
    if let gdbListen {
      (c.gdbHost, c.gdbPort) = try Self.split(gdbListen, flag: "--gdb-listen")
    }
    if let kdcomListen {
      (c.kdcomHost, c.kdcomPort) = try Self.split(kdcomListen, flag: "--kdcom-listen")
    }
    c.certificatePath = cert
    c.keyPath = key
    c.clientCAPath = clientCA
    c.tokenPath = tokenFile
    c.allowInsecurePermissions = allowInsecurePermissions
    c.scenario = scenario
    c.scenariosDirectory = scenarios
    c.seed = seed
    c.pace = pace
    c.era = era
    c.breakAtBoot = breakAtBoot
    for text in verifier {
      do throws(VerifierSetting.Problem) {
        c.verifier.append(try VerifierSetting.parse(text))
      } catch {
        throw ServerError.configuration("--verifier \(error)")
      }
    }
    c.maxConnections = maxConnections
    c.maxObservers = maxObservers
    c.maxPending = maxPending
    c.maxPendingPerSource = maxPendingPerSource
    c.window = window
    c.refusalLogInterval = .seconds(refusalLogSeconds)
    c.maxBufferedBytes = maxBufferedMiB << 20
    c.allowTakeover = allowTakeover
    c.resumeAfter = resumeAfter.map { .seconds($0) }
    c.allowTLS12 = allowTLS12
    c.once = once
    return c
  }

  public func run() throws {
    Transport.ignoreSIGPIPE()
    if let probe {
      let (host, port) = try Self.split(probe, flag: "--probe")
      var token: [UInt8] = []
      if let tokenFile {
        do {
          token = try AccessToken.load(path: tokenFile).bytes
        } catch {
          print("probe: \(error)")
          throw ExitCode(1)
        }
      }
      let outcome = Probe.run(
        host: host, port: port, certificatePath: cert, stateDirectory: stateDir ?? Self.defaultStateDirectory(),
        token: token, timeout: .milliseconds(Int(probeTimeout * 1000)))
      print(outcome.alive ? outcome.line : "probe: " + outcome.line)
      throw ExitCode(outcome.alive ? 0 : 1)
    }
    let level = Logger.Level(rawValue: logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let logger = Logger(label: "kdserver")
    do {
      let daemon = try Daemon(configuration: try makeConfiguration(), logger: logger)
      try daemon.runUntilSignalled()
    } catch let error as ValidationError {
      throw error
    } catch {
      logger.critical("kdserver: \(error)")
      throw ExitCode(1)
    }
  }
}
