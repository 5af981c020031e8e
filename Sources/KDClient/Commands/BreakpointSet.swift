/// `bp[ID] [Address [Passes]] ["Commands"]`: a software breakpoint (kernel mode: at most 32). Silent on
/// success; `breakpoint N redefined` when the ID or address already has one. The quoted commands run at
/// each hit; a final `g` continues (`bp nt!ExFreePoolWithTag "kb; g"`). A `module!symbol` that does not
/// resolve becomes a deferred breakpoint (`Bp expression '…' could not be resolved, adding deferred bp`); an
/// address the target cannot write (`bp 0`) is accepted and reported when `g` tries to insert it.
enum BreakpointSet: Command {
  static let names = ["bp"]
  static let summary = "bp[ID] [Address [Passes]] [\"Commands\"]   set a breakpoint"
  static let limit = 32

  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    return w.hasPrefix("bp") && w.dropFirst(2).allSatisfy(\.isNumber)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    try set(inv, in: session, symbolic: false)
  }

  /// `bp` and `bu` (`symbolic`): the same syntax; `bu` keeps the expression and defers silently.
  static func set(_ inv: Invocation, in session: Session, symbolic: Bool) throws(CommandError) -> TextOutput {
    let idText = inv.name.dropFirst(2)
    var requestedID = Int(idText)
    if !idText.isEmpty && requestedID == nil { throw .syntax(position: 2) }
    var p = inv.parser(session)
    p.skipSpaces()
    let exprStart = p.position
    var address: UInt32 = 0
    var unresolved = false
    if p.atEnd {
      address = try session.currentContext().eip
    } else {
      do {
        address = try p.parseAddress()
      } catch .couldntResolve(let at) {
        // KD defers a `module!symbol` it cannot resolve yet: the word up to the next space or quote.
        var end = exprStart
        while end < p.chars.count, p.chars[end] != " ", p.chars[end] != "\"" { end += 1 }
        guard p.chars[exprStart..<end].contains("!") else { throw .couldntResolve(position: at) }
        p.position = end
        p.skipSpaces()
        unresolved = true
      }
    }
    let expression = String(p.chars[exprStart..<p.position]).trimmingSpaces
    let (passes, commands) = try Breakpoint.parsePassesAndCommands(&p)
    if requestedID == nil, !unresolved,
      let existing = session.breakpoints.values.first(where: {
        $0.address == address && $0.processor == nil && !$0.unresolved
      })
    {
      requestedID = existing.id
    }
    var (id, notes) = try session.takeBreakpointID(requestedID)
    var breakpoint = Breakpoint(
      id: id, address: address, expression: expression, enabled: true, passes: passes, initialPasses: passes,
      commands: commands, handle: nil)
    breakpoint.symbolic = symbolic || unresolved  // KD turns a `bp` it cannot resolve into a `bu`
    breakpoint.unresolved = unresolved
    if unresolved {
      if !symbolic { notes.append("Bp expression '\(expression)' could not be resolved, adding deferred bp") }
    } else {
      breakpoint.handle = try insertNow(breakpoint, session)
    }
    session.breakpoints[id] = breakpoint
    return TextOutput(notes)
  }

  /// Writes the breakpoint now; nil when the target refuses the address (KD reports that when it resumes).
  static func insertNow(_ breakpoint: Breakpoint, _ session: Session) throws(CommandError) -> UInt32? {
    do {
      return try breakpoint.insert(into: session.target)
    } catch .refused {
      return nil
    } catch {
      throw .target(error)
    }
  }
}
