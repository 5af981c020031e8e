/// `pc`: step (over calls, as `p`) until the next instruction is a `call`, then print the register dump as `p`
/// does. The current instruction is executed first, a call included. Another stop on the way (a breakpoint, an
/// exception, a bug check) ends it and is printed as itself; so does Ctrl+C, at the instruction reached.
enum StepToCall: Command {
  static let names = ["pc"]
  static let summary = "pc   step to the next call"
  static let repeatsOnEnter = true

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    while true {
      let event = try Step.stepOnce(session, over: true)
      guard event.kind == .singleStep, !session.interruptRequested() else {
        return try session.notification(for: event)
      }
      if try session.unassemble(event.pc, count: 1).lines.first?.mnemonic == "call" {
        return try session.notification(for: event)
      }
    }
  }
}
