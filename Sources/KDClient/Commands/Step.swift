/// `p` (step over calls) and `t` (trace into): one instruction, then the register dump as KD prints it.
enum Step: Command {
  static let names = ["p", "t"]
  static let summary = "p | t   step over / trace into one instruction"
  static let repeatsOnEnter = true

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    let context = try session.currentContext()
    let event: BreakEvent
    if inv.name.lowercased() == "p", let insn = try session.unassemble(context.eip, count: 1).lines.first,
      insn.mnemonic == "call", let size = insn.bytes?.count
    {
      let next = context.eip &+ UInt32(size)
      let handle = try session.targetCall { () throws(TargetError) in try session.target.setBreakpoint(next) }
      do {
        event = try session.resumeAndWait(singleStep: false)
      } catch {
        try? session.target.removeBreakpoint(handle)
        throw error
      }
      try session.targetCall { () throws(TargetError) in try session.target.removeBreakpoint(handle) }
      if event.pc == next && session.breakpointID(at: next) == nil {
        var stepped = event
        stepped.kind = .singleStep
        return try session.notification(for: stepped)
      }
    } else {
      event = try session.resumeAndWait(singleStep: true)
    }
    return try session.notification(for: event)
  }
}
