/// `ba[ID] Access Size [Address [Passes]] ["Commands"]`: a processor (data) breakpoint, in one of the target's
/// four debug-register slots. Access `e` (execute), `r` (read or write), `w` (write); Size 1, 2 or 4 (1 for `e`),
/// the address aligned on it; `w4` and `w 4` both read. A hit prints `Breakpoint N hit` and the location: after
/// the instruction that touched the range (the instruction itself for `e`). Silent on success.
enum BreakpointAccess: Command {
  static let names = ["ba"]
  static let summary = "ba[ID] e|r|w 1|2|4 [Address [Passes]] [\"Commands\"]   set a processor (data) breakpoint"
  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    return w.hasPrefix("ba") && w.dropFirst(2).allSatisfy(\.isNumber)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let idText = inv.name.dropFirst(2)
    let requestedID = Int(idText)
    if !idText.isEmpty && requestedID == nil { throw .syntax(position: 2) }
    var p = inv.parser(session)
    p.skipSpaces()
    let accessAt = p.position
    guard !p.atEnd else { throw .syntax(position: accessAt) }
    let access: DataBreakpointAccess
    switch p.chars[p.position].lowercased() {
    case "e": access = .execute
    case "r": access = .readWrite
    case "w": access = .write
    case "i": throw .message("I/O port breakpoints (ba i) are not supported: the target has no I/O ports")
    default: throw .syntax(position: accessAt)
    }
    p.position += 1
    p.skipSpaces()
    let sizeAt = p.position
    guard !p.atEnd, let size = UInt32(String(p.chars[p.position])), [1, 2, 4].contains(size) else {
      throw .syntax(position: sizeAt)
    }
    p.position += 1
    if p.position < p.chars.count, !p.chars[p.position].isWhitespace { throw .syntax(position: p.position) }
    p.skipSpaces()
    if !p.atEnd, p.chars[p.position] == "/" {
      throw .message("breakpoint options (/1, /p, /t, /c, /C, /w) are not supported")
    }
    let exprStart = p.position
    let address = try p.atEnd || p.chars[p.position] == "\"" ? session.currentContext().eip : p.parseAddress()
    let expression = String(p.chars[exprStart..<p.position]).trimmingSpaces
    let (passes, commands) = try Breakpoint.parsePassesAndCommands(&p)
    if access == .execute && size != 1 {
      throw .message("an execution breakpoint (ba e) has size 1")
    }
    guard address % size == 0 else {
      throw .message("the address of a \(size)-byte processor breakpoint must be aligned on \(size) bytes")
    }
    let (id, notes) = try session.takeBreakpointID(requestedID)
    let breakpoint = Breakpoint(
      id: id, address: address, expression: expression, enabled: true, passes: passes, initialPasses: passes,
      commands: commands, handle: nil, processor: .init(access: access, size: size))
    let handle: UInt32
    do {
      handle = try breakpoint.insert(into: session.target)
    } catch .refused(_, let status, _) where status == 0xC000_0044 {  // STATUS_QUOTA_EXCEEDED
      throw .message("Too many data breakpoints: the processor has four debug registers, all in use")
    } catch {
      throw .target(error)
    }
    var set = breakpoint
    set.handle = handle
    session.breakpoints[id] = set
    return TextOutput(notes)
  }
}
