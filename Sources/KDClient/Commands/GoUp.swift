/// `gu`: run until the current function returns: a one-time breakpoint at its return address, and a hit counts only
/// once the stack has unwound past the current frame (a recursive call's return to the same address does not end
/// it). The return address is read as the frame's state says: `[esp]` at the function's first instruction or at a
/// `ret`, `[esp+4]` right after its `push ebp`, `[ebp+4]` once the frame is set up.
enum GoUp: Command {
  static let names = ["gu"]
  static let summary = "gu   go up: run until the current function returns"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    let context = try session.currentContext()
    let slot = try returnAddressSlot(context, session: session)
    guard let target = try session.readU32(slot) else {
      throw .message("gu: the return address at \(Hex.d8(slot)) is unreadable")
    }
    let handle = try session.targetCall { () throws(TargetError) in try session.target.setBreakpoint(target) }
    var event: BreakEvent
    do {
      repeat {
        event = try session.resumeAndWait(singleStep: false)
      } while event.kind == .breakpoint && event.pc == target && event.context.esp <= context.esp
        && session.breakpointID(at: target) == nil
    } catch {
      try? session.target.removeBreakpoint(handle)
      throw error
    }
    try session.targetCall { () throws(TargetError) in try session.target.removeBreakpoint(handle) }
    return try session.notification(for: event)
  }

  /// The stack slot that holds the return address of the function executing at `context`.
  static func returnAddressSlot(_ context: X86Context, session: Session) throws(CommandError) -> UInt32 {
    let eip = context.eip
    let symbol = try session.describe(eip)
    let atEntry = symbol.map { !$0.contains("+") } ?? false
    let pushedEBP = try session.readExact(eip &- 1, count: 1) == [0x55]
    let afterPush = symbol?.hasSuffix("+0x1") == true && pushedEBP
    let atRet = try session.unassemble(eip, count: 1).lines.first?.mnemonic == "ret"
    if atEntry || atRet { return context.esp }
    if afterPush { return context.esp &+ 4 }
    return context.ebp &+ 4
  }
}
