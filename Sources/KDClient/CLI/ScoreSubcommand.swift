import ArgumentParser
import Foundation

/// `kd score` (ours): runs the target in steps of virtual time (it halts itself at each: HaltAt) and grades each
/// leak finder's answer after every step against the ground truth the scenario declares (LeakScore): precision
/// and recall of the last answer, and the virtual time of the first exactly correct one.
public struct ScoreSubcommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Ours: grade tag ranking, !poolsites, !tagsplit and !poolscan against the scenario's ground truth.")

  @ParentCommand var root: KDCommand

  @Option(name: .long, help: "Virtual seconds to run the target for.")
  public var seconds: Double = 300

  @Option(name: .long, help: "Virtual seconds between answers.")
  public var step: Double = 5

  @Option(name: .long, help: "Windows of growth a site needs to count as leaking (as !poolsites -w).")
  public var windows: Int = 4

  public init() {}

  public func validate() throws {
    guard seconds > 0, seconds <= 86400 else { throw ValidationError("--seconds takes more than 0 and at most 86400") }
    guard step >= 0.01, step <= seconds else { throw ValidationError("--step takes 0.01 to --seconds") }
    guard (1...15).contains(windows) else { throw ValidationError("--windows takes 1 to 15") }
  }

  public func run() throws {
    throw ValidationError("kd must be started through KDCommand.main(connect:)")
  }

  /// One step's grades.
  struct Step: Codable, Sendable {
    var virtualTime: UInt64
    var grades: [LeakScore.Grade]
  }

  public func execute(connect: TargetConnector) -> Int32 {
    let target: any DebugTarget
    switch root.connection.open(connect) {
    case .success(let t): target = t
    case .failure(let status): return status.rawValue
    }
    let debugger = Debugger(target: target)
    let session = debugger.session
    do throws(CommandError) {
      if session.currentEvent == nil { _ = debugger.run(".runfor 0") }  // a target attached running: break in
      let truth = try session.targetCall { () throws(TargetError) in try target.scenarioLeaks() }
      guard !truth.isEmpty else { throw .message("the target's scenario declares no leaks (docs/SCENARIOS.md)") }
      var score = try LeakScore(truth: truth, windows: windows, session: session)
      var time = try session.targetCall { () throws(TargetError) in try target.haltAt(virtualTime: 0) }
      // The target's time comes off the wire: sums saturate rather than trap.
      let end = time.addingReportingOverflow(UInt64(seconds * 1e7)).overflow ? .max : time + UInt64(seconds * 1e7)
      var steps: [Step] = []
      while time < end {
        let (sum, overflow) = time.addingReportingOverflow(UInt64(step * 1e7))
        let next = overflow ? end : min(sum, end)
        _ = try session.targetCall { () throws(TargetError) in try target.haltAt(virtualTime: next) }
        if let failed = debugger.run("g").first(where: { $0.error != nil }) {
          throw .message("g: \(failed.error ?? "")")
        }
        time = try session.targetCall { () throws(TargetError) in try target.haltAt(virtualTime: 0) }
        steps.append(Step(virtualTime: time, grades: try score.grade(session)))
      }
      print(Self.lines(score: score, truth: truth, steps: steps, session: session).joined(separator: "\n"))
      return 0
    } catch {
      FileHandle.standardError.write(Data("kd score: \(error)\n".utf8))
      return 1
    }
  }

  static func lines(score: LeakScore, truth: [ScenarioLeakRecord], steps: [Step], session: Session) -> [String] {
    guard let last = steps.last else { return [] }
    let seconds = { (t: UInt64) in String(format: "%.3f", Double(t) / 1e7) }
    var out = [
      "Leak finders against the scenario's ground truth (ours): \(steps.count) answers to \(seconds(last.virtualTime))"
        + " s virtual",
      "Truth: "
        + truth.map { t in
          let name = (try? LeakScore.function(t.function, session)) ?? Hex.d8(t.function)
          return "\(name) (\(Ascii.tag(t.tag)), \(String(format: "%g", t.blocksPerSecond)) blocks/s, "
            + "\(t.referenced ? "referenced" : "lost"))"
        }.joined(separator: ", "),
      " Method                     Precision  Recall  First correct (s)  Answer at the end",
    ]
    for (i, g) in last.grades.enumerated() {
      let first = steps.first { $0.grades[i].correct }.map { seconds($0.virtualTime) } ?? "never"
      out.append(
        " \(g.method.title.rightPadded(to: 26)) \((g.precision.map { String(format: "%.2f", $0) } ?? "-").leftPadded(to: 9))"
          + " \(String(format: "%.2f", g.recall).leftPadded(to: 7)) \(first.leftPadded(to: 18))  "
          + (g.answer.isEmpty ? "(none)" : g.answer.joined(separator: ", ")))
    }
    return out
  }
}
