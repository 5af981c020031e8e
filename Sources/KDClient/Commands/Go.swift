/// `g [Address]`: resume (with a one-time breakpoint at `Address`) and wait for the next break, which is
/// printed with KD's banner. No prompt while the target runs; Ctrl+C breaks in. On a target that is already
/// running (memory commands are served while it runs), `g` waits for its next break.
enum Go: Command {
  static let names = ["g"]
  static let summary = "g [Address]   go (until a break; Ctrl+C breaks in)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var oneShot: UInt32?
    if !p.atEnd {
      let address = try p.parseAddress()
      try p.expectEnd()
      oneShot = try session.targetCall { () throws(TargetError) in try session.target.setBreakpoint(address) }
    }
    guard session.currentEvent != nil else {
      // The target already runs (kd serves memory commands while it runs, which KD cannot): `g` then just
      // waits for the next break, as it would right after resuming. An addition to KD; see docs/COMMANDS.md.
      let result = Result { () throws(CommandError) in try session.waitForEvent() }
      if let oneShot { try? session.target.removeBreakpoint(oneShot) }
      return try session.notification(for: result.get())
    }
    let event: BreakEvent
    do {
      event = try session.resumeAndWait(singleStep: false)
    } catch {
      if let oneShot { try? session.target.removeBreakpoint(oneShot) }
      throw error
    }
    if let oneShot { try session.targetCall { () throws(TargetError) in try session.target.removeBreakpoint(oneShot) } }
    return try session.notification(for: event)
  }
}
