/// `.runfor Seconds` (ours, for scripts): let the target run for a while, then break in. The same as
/// `g` followed by Ctrl+C after `Seconds` (decimal; fractions allowed). On a target that already runs
/// (after `.reboot`, or attached without `-b`) it only waits and breaks in: `.runfor 0` breaks in now.
enum RunFor: Command {
  static let names = [".runfor"]
  static let summary = ".runfor Seconds   run, then break in after Seconds (ours, for scripts)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    guard let seconds = Double(inv.arguments), seconds >= 0, seconds < 86400 else {
      throw .syntax(position: inv.argumentsStart)
    }
    if session.currentEvent != nil {
      try session.insertPendingBreakpoints()
      if let c = session.contextOverride {
        try session.targetCall { () throws(TargetError) in try session.target.setContext(c, thread: nil) }
      }
      session.contextOverride = nil
      do {
        try session.target.resume(singleStep: false)
        session.onRunning()
      } catch .notHalted {
        // The target was already running (its state had not caught up yet, e.g. right after a reboot).
      } catch {
        throw .target(error)
      }
    }
    let event = try session.waitForEvent(breakInAfter: .milliseconds(Int(seconds * 1000)))
    session.lastDisplay = nil
    session.nextUnassemble = nil
    return try session.notification(for: event)
  }
}
