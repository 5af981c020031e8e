/// `g [Address]`: resume (with a one-time breakpoint at `Address`) and wait for the next break, which is
/// printed with KD's banner. No prompt while the target runs; Ctrl+C breaks in.
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
    guard session.currentEvent != nil else { throw .target(.notHalted(operation: "g")) }
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
