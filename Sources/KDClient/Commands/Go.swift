/// `g [Address]`: resume (with a one-time breakpoint at `Address`) and wait for the next break, which is
/// printed with KD's banner. No prompt while the target runs; Ctrl+C breaks in. On a target that is already
/// running (memory commands are served while it runs), `g` waits for its next break.
enum Go: Command {
  static let names = ["g", "gc"]
  static let summary = "g [Address]   go (until a break; Ctrl+C breaks in); gc   go on from a breakpoint's commands"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var address: UInt32?
    if !p.atEnd {
      address = try p.parseAddress()
      try p.expectEnd()
    }
    var oneShot: UInt32?
    if let address {
      oneShot = try session.targetCall { () throws(TargetError) in try session.target.setBreakpoint(address) }
    }
    guard session.currentEvent != nil else {
      // The target already runs (kd serves memory commands while it runs, which KD cannot): `g` then just
      // waits for the next break, as it would right after resuming. An addition to KD; see docs/COMMANDS.md.
      let result = Result { () throws(CommandError) in try session.waitForEvent() }
      if let oneShot { try? session.target.removeBreakpoint(oneShot) }
      return try session.notification(for: result.get())
    }
    let event: BreakEvent?
    do {
      event = try runUntilStop(session)
    } catch {
      if let oneShot { try? session.target.removeBreakpoint(oneShot) }
      throw error
    }
    if let oneShot { try session.targetCall { () throws(TargetError) in try session.target.removeBreakpoint(oneShot) } }
    guard let event else { return TextOutput() }
    return try session.notification(for: event)
  }

  /// Resumes until a stop that ends `g`. A hit of a breakpoint with commands is reported (notification,
  /// then its commands' results) through the session's emitter; a final `g` in them goes on. Returns nil
  /// when the stop was already reported that way.
  private static func runUntilStop(_ session: Session) throws(CommandError) -> BreakEvent? {
    while true {
      let event = try session.resumeAndWait(singleStep: false)
      guard let id = session.breakpointID(for: event),
        let commands = session.breakpoints[id]?.commands, !commands.trimmingSpaces.isEmpty,
        let runCommands = session.scripting.runBreakpointCommands
      else { return event }
      session.emit(CommandResult(command: "", output: try session.notification(for: event), event: event))
      // KD does not check a breakpoint's commands when it is set: they run here, as typed, and a `g` or `gc`
      // among them (also inside `.if` or `j`) resumes this `g`.
      let goOn = runCommands(commands)
      if session.ended { return nil }
      if !goOn { return nil }
    }
  }
}
