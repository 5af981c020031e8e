import ArgumentParser
import Foundation
import KDProtocol

/// `kd`: the debugger's command line. The executable calls `KDCommand.main(connect:)` and supplies how
/// to open a target (`TargetConnector`).
///
/// Exit status: one per cause, sysexits-style (`KDExitStatus`).
public struct KDCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "kd",
    abstract: "A KD-style kernel debugger for the swift-kd simulated kernel.",
    discussion: "Exit status:\n" + KDExitStatus.helpTable,
    version: "kd \(ReleaseVersion.number) (swift-kd, protocol \(ProtocolVersion.major).\(ProtocolVersion.minor))",
    subcommands: [PoolMonSubcommand.self, ScoreSubcommand.self, ReportSubcommand.self])

  @OptionGroup public var connection: ConnectionOptions

  @Flag(name: .customShort("b"), help: "Break in as soon as attached (KD's -b; always so on the embedded target).")
  public var breakAtAttach = false

  @Option(
    name: .customShort("c"), help: "Commands to run (';'-separated), then exit unless they leave the session open.")
  public var commands: String?

  @Option(name: .long, help: "Script file: one command line per line ('-' reads standard input).")
  public var script: String?

  @Flag(
    name: .long,
    help: "One JSON object per line for each command and target event (docs/kd-json.schema.json, schema 1).")
  public var json = false

  @Option(name: .long, help: "Give up after this many seconds (scripts: waiting for breaks included).")
  public var timeout: Double?

  @Flag(name: .customLong("stop-on-error"), help: "Stop at the first failed command (exit status 1).")
  public var stopOnError = false

  public init() {}

  public func validate() throws {
    if let timeout, !(timeout >= 0 && timeout <= 1_000_000) {
      throw ValidationError("--timeout takes 0 to 1000000 seconds")
    }
  }

  public func run() throws {
    throw ValidationError("kd must be started through KDCommand.main(connect:)")
  }

  /// Parses the command line, runs `kd`, and exits.
  public static func main(_ arguments: [String]? = nil, connect: TargetConnector) -> Never {
    do {
      var command = try parseAsRoot(arguments)
      switch command {
      case let kd as KDCommand: Foundation.exit(kd.execute(connect: connect))
      case let mon as PoolMonSubcommand: Foundation.exit(mon.execute(connect: connect))
      case let score as ScoreSubcommand: Foundation.exit(score.execute(connect: connect))
      case let report as ReportSubcommand: Foundation.exit(report.execute(connect: connect))
      default:
        try command.run()
        Foundation.exit(0)
      }
    } catch {
      exit(withError: error)
    }
  }

  /// Runs the session; returns the exit status.
  public func execute(connect: TargetConnector) -> Int32 {
    // The script is read before connecting: a wrong path costs no connection. `-` is standard input.
    var scriptText: String?
    if let script {
      do throws(ScriptFile.ReadFailure) {
        scriptText = try ScriptFile.read(script)
      } catch {
        FileHandle.standardError.write(Data("kd: cannot read script '\(script)': \(error.reason)\n".utf8))
        return KDExitStatus.scriptNotFound.rawValue
      }
    }
    let target: any DebugTarget
    switch connection.open(connect) {
    case .success(let t): target = t
    case .failure(let status): return status.rawValue
    }
    let debugger = Debugger(target: target)
    debugger.stopOnError = stopOnError
    if let timeout { debugger.deadline = ContinuousClock().now + .milliseconds(Int(timeout * 1000)) }
    let printer = ResultPrinter(json: json)
    if json {
      debugger.onRunning = { Terminal.write(JSONLine.event(.running) + "\n") }
      DebugOutputGate.shared.printAsJSON()
    }
    if !json { debugger.stream = { Terminal.write($0) } }
    // The embedded target is for trying things: it breaks in at once, so the first thing seen is a prompt.
    let initialBreak = breakAtAttach || connection.connect == nil
    if !json, let version = try? target.version() {
      let identity = SystemIdentity.read(from: target, version: version)
      printer.text(ConnectBanner(version, identity: identity, initialBreak: initialBreak).lines)
    }
    DebugOutputGate.shared.open()
    if initialBreak, !target.state.isHalted {
      do {
        guard let r = try debugger.breakIn(timeout: .seconds(10)) else {
          FileHandle.standardError.write(Data("kd: the target did not break in within 10 s\n".utf8))
          return KDExitStatus.timeout.rawValue
        }
        printer.print([r])
      } catch {
        FileHandle.standardError.write(Data("kd: \(error)\n".utf8))
        return KDExitStatus.connectionLost.rawValue
      }
    } else if case .halted(let event) = target.state, !json || commands == nil && scriptText == nil {
      printer.print([debugger.notification(event)])
    }
    if commands == nil && scriptText == nil {
      return Console(debugger: debugger, json: json).run()
    }
    Interrupt.install()
    debugger.interruptRequested = { Interrupt.take() }
    // What the exit status depends on, noted as results go by (a long script's output is not held).
    var lost = false
    var timedOut = false
    var failed = false
    var stopped = false
    let onResult = { (r: CommandResult) in
      printer.print([r])
      if case .target(.disconnected) = r.failure { lost = true }
      if r.failure == .timedOut { timedOut = true }
      if !r.succeeded { failed = true }
      if r.endsTheLine || stopOnError && !r.succeeded { stopped = true }
    }
    let onStart = { (command: String) in printer.echo(command, prompt: debugger.prompt) }
    if let commands {
      _ = debugger.run(commands, onResult: onResult, onStart: onStart)
    }
    if let scriptText, let script, !debugger.hasEnded, !stopped {
      debugger.runScript(scriptText, path: script, keepResults: false, onResult: onResult, onStart: onStart)
    }
    if lost { return KDExitStatus.connectionLost.rawValue }
    if timedOut { return KDExitStatus.timeout.rawValue }
    if stopOnError && failed { return KDExitStatus.commandFailed.rawValue }
    return 0
  }
}

/// Prints results as KD text or JSON lines. Scripts see each command line echoed after the prompt as it
/// starts, as in a KD transcript; commands run inside it (blocks, breakpoint commands, `$$>a<` scripts) are
/// not echoed, as KD does not (`$<` and `$><` echo their own lines).
final class ResultPrinter {
  let json: Bool

  init(json: Bool) { self.json = json }

  func echo(_ command: String, prompt: String) {
    if !json { Terminal.write(prompt + command + "\n") }
  }

  func print(_ results: [CommandResult]) {
    for r in results {
      if json {
        Terminal.write(r.jsonLines().map { $0 + "\n" }.joined())
        continue
      }
      Terminal.write(r.text)
    }
  }

  func text(_ lines: [String]) { Terminal.writeLines(lines) }
}

/// KD's connect banner for an x86 target: when it connected (this machine's clock, in UTC) and whether the
/// debugger asked for an initial break (`-b`, or the embedded target, which breaks in at once).
struct ConnectBanner {
  var lines: [String]
  /// `identity`: the `Product:` and `Built by:` lines KD reads from the target, when it has them.
  init(
    _ v: TargetVersion, identity: SystemIdentity = SystemIdentity(), connectedAt: Date = Date(),
    initialBreak: Bool = false
  ) {
    let at = "at (\(VersionTarget.sessionTime(connectedAt)) (UTC + 0:00))"
    lines = [
      "Connected to Windows \(v.build >= 3790 ? "Server 2003" : "XP") \(v.build) x86 compatible target \(at), ptr64 FALSE",
      "Kernel Debugger connection established." + (initialBreak ? "  (Initial Breakpoint requested)" : ""),
      "Windows \(v.build >= 3790 ? "Server 2003" : "XP") Kernel Version \(v.build) \(v.processors > 1 ? "MP (\(v.processors) procs)" : "UP") Free x86 compatible",
    ]
    lines += [identity.productLine, identity.builtByLine].compactMap { $0 }
    lines.append("Kernel base = 0x\(Hex.d8(v.kernelBase)) PsLoadedModuleList = 0x\(Hex.d8(v.psLoadedModuleList))")
  }
}
