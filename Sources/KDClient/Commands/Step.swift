/// `p` (step over calls) and `t` (trace into): one instruction, then the register dump as KD prints it.
enum Step: Command {
  static let names = ["p", "t"]
  static let summary = "p | t   step over / trace into one instruction"
  static let repeatsOnEnter = true

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    return try session.notification(for: stepOnce(session, over: inv.name.lowercased() == "p"))
  }

  /// One instruction: `over` steps over a call (a one-time breakpoint after it), else traces. A stop that ends
  /// the step where it was meant to is reported as a single step.
  static func stepOnce(_ session: Session, over: Bool) throws(CommandError) -> BreakEvent {
    let context = try session.currentContext()
    let event: BreakEvent
    if over, let insn = try session.unassemble(context.eip, count: 1).lines.first,
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
        return stepped
      }
    } else {
      event = try session.resumeAndWait(singleStep: true)
    }
    return event
  }
}
