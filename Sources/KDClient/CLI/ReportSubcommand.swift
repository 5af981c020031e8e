import ArgumentParser
import Foundation

/// `kd report` (ours): runs the target for `--seconds` of virtual time, samples its pool, and writes one
/// self-contained HTML page (`--out`) with the bytes per tag over time, each call site's outstanding blocks, an
/// icicle graph of outstanding bytes by allocation stack, the ranked call sites with their stacks, and the kd
/// commands that print the same numbers. Remote (`--connect`, over TLS) or on the embedded target.
public struct ReportSubcommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "report",
    abstract:
      "Ours: run the target for --seconds of virtual time and write an HTML leak report (charts, flame graph,"
      + " ranked call sites).",
    discussion:
      "kd's connection options apply, before or after 'report': --connect HOST:PORT with --fingerprint or --ca for a"
      + " kdserver over TLS, or the embedded target (--scenario, --pace, --era, -d). docs/COMMANDS.md, \"Leak report\"."
  )

  /// `kd`'s connection options apply, before or after `report`.
  @ParentCommand var root: KDCommand

  @Option(name: .long, help: "Virtual seconds to run the target for (0.001 to 86400).")
  public var seconds: Double

  @Option(name: .long, help: "The HTML file to write.")
  public var out: String

  @Option(name: .long, help: "Samples of the tag table over the run (2 to 10000).")
  public var samples: Int = 60

  @Option(name: .long, help: "Tags and call sites to draw over time (1 to 10 each).")
  public var top: Int = 6

  public init() {}

  public func validate() throws {
    guard seconds >= 0.001, seconds <= 86400 else {
      throw ValidationError("--seconds takes 0.001 to 86400 (virtual seconds), got \(seconds)")
    }
    guard (2...10000).contains(samples) else { throw ValidationError("--samples takes 2 to 10000, got \(samples)") }
    guard (1...10).contains(top) else { throw ValidationError("--top takes 1 to 10, got \(top)") }
    guard !out.isEmpty else { throw ValidationError("--out needs a file name") }
  }

  public func run() throws {
    throw ValidationError("kd must be started through KDCommand.main(connect:)")
  }

  /// Runs the target, writes the page, and says where on standard output; returns the exit status.
  public func execute(connect: TargetConnector, arguments: [String] = Array(CommandLine.arguments.dropFirst()))
    -> Int32
  {
    if root.json {
      FileHandle.standardError.write(Data("kd: kd report writes an HTML file (--out); it has no JSON form\n".utf8))
      return KDExitStatus.usage.rawValue
    }
    let target: any DebugTarget
    switch root.connection.open(connect) {
    case .success(let t): target = t
    case .failure(let status): return status.rawValue
    }
    Interrupt.install()
    Interrupt.clear()
    let recorder = LeakReportRecorder(
      seconds: seconds, samples: samples, topTags: top, topSites: top, interrupted: { Interrupt.take() })
    let connection =
      root.connection.connect.map { "kdserver at \($0) over TLS" }
      ?? "the embedded target (scenario \(root.connection.scenario ?? "default"))"
    let report: LeakReport
    do {
      report = try recorder.record(
        Debugger(target: target), connection: connection,
        commandLine: (["kd"] + arguments).map(Self.shellWord).joined(separator: " "))
    } catch {
      FileHandle.standardError.write(Data("kd: report: \(error)\n".utf8))
      if case .target(.disconnected) = error { return KDExitStatus.connectionLost.rawValue }
      return KDExitStatus.commandFailed.rawValue
    }
    let page = ReportPage.html(report)
    do {
      try Data(page.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
    } catch {
      FileHandle.standardError.write(Data("kd: cannot write '\(out)': \(error.localizedDescription)\n".utf8))
      return KDExitStatus.configuration.rawValue
    }
    let leaking = report.leakingSites.map { "\($0.name) (tag \($0.tag.trimmingSpaces))" }
    Terminal.writeLines([
      "kd report: wrote \(out) (\(page.utf8.count) bytes): \(ReportNumbers.seconds(report.startSeconds)) to"
        + " \(ReportNumbers.seconds(report.endSeconds)) s virtual, \(report.sites.count) call sites",
      leaking.isEmpty ? "no call site grew in every window" : "leaking: " + leaking.joined(separator: ", "),
    ])
    return 0
  }

  /// A word as a shell would need it quoted to give it back.
  static func shellWord(_ word: String) -> String {
    let plain = word.unicodeScalars.allSatisfy {
      CharacterSet.alphanumerics.contains($0) || "-_./:=@,+%".unicodeScalars.contains($0)
    }
    return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
