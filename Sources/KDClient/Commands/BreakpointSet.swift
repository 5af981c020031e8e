/// `bp[ID] [Address [Passes]] ["Commands"]`: a software breakpoint (kernel mode: at most 32). Silent on
/// success; `breakpoint N redefined` when the ID or address already has one. The quoted commands run at
/// each hit; a final `g` continues (`bp nt!ExFreePoolWithTag "kb; g"`).
enum BreakpointSet: Command {
  static let names = ["bp"]
  static let summary = "bp[ID] [Address [Passes]] [\"Commands\"]   set a breakpoint"
  static let limit = 32

  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    return w.hasPrefix("bp") && w.dropFirst(2).allSatisfy(\.isNumber)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let idText = inv.name.dropFirst(2)
    var requestedID = Int(idText)
    if !idText.isEmpty && requestedID == nil { throw .syntax(position: 2) }
    var p = inv.parser(session)
    p.skipSpaces()
    let exprStart = p.position
    let address = try p.atEnd ? session.currentContext().eip : p.parseAddress()
    let expression = String(p.chars[exprStart..<p.position]).trimmingSpaces
    var passes = 1
    if !p.atEnd, p.chars[p.position] != "\"" {
      let at = p.position
      let n = try p.parse()
      guard n >= 1, n <= 0xffff_ffff else { throw .syntax(position: at) }
      passes = Int(n)
    }
    var commands: String?
    if !p.atEnd, p.chars[p.position] == "\"" {
      let open = p.position
      guard let (text, end) = StatementScanner.quotedString(p.chars, at: open) else { throw .syntax(position: open) }
      commands = text.trimmingSpaces
      p.position = end
    }
    try p.expectEnd()
    if requestedID == nil,
      let existing = session.breakpoints.values.first(where: { $0.address == address && $0.processor == nil })
    {
      requestedID = existing.id
    }
    let (id, notes) = try session.takeBreakpointID(requestedID)
    let handle = try session.targetCall { () throws(TargetError) in try session.target.setBreakpoint(address) }
    session.breakpoints[id] = Breakpoint(
      id: id, address: address, expression: expression, enabled: true, passes: passes, initialPasses: passes,
      commands: commands, handle: handle)
    return TextOutput(notes)
  }
}
