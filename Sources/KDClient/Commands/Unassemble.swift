/// `u [Range]`: disassembly in WinDbg's layout (Capstone, MASM syntax, symbolized branch targets);
/// 8 instructions by default, continuing after the last `u`.
enum Unassemble: Command {
  static let names = ["u"]
  static let summary = "u [Range]   unassemble (8 instructions by default)"
  static let repeatsOnEnter = true

  struct Output: CommandOutput {
    var instructions: [UnassembledLine]
    var memoryError: String?
    var lines: [String] {
      instructions.flatMap(\.lines) + (memoryError.map { [$0] } ?? [])
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var start: UInt32
    if let next = session.nextUnassemble { start = next } else { start = try session.currentContext().eip }
    var count = 8
    if !p.atEnd {
      if !p.peekRangeCount { start = try p.parseAddress() }
      if !p.atEnd {
        let at = p.position
        if p.peekRangeCount {
          p.position += 1
          let n = try p.parse()
          guard n > 0, n < 0x10000 else { throw .syntax(position: at) }
          count = Int(n)
        } else {
          let end = try p.parseAddress()
          guard end >= start, end - start < 0x10000 else { throw .syntax(position: at) }
          try p.expectEnd()
          // Instructions until the range is covered (at most one per byte).
          let probe = try session.unassemble(start, count: Int(end - start) + 1)
          var covered = probe.lines.filter { $0.address <= end }
          if covered.isEmpty { covered = Array(probe.lines.prefix(1)) }
          session.nextUnassemble = covered.last.map { $0.address &+ UInt32($0.bytes?.count ?? 1) }
          return Output(instructions: covered, memoryError: nil)
        }
      }
      try p.expectEnd()
    }
    let r = try session.unassemble(start, count: count)
    session.nextUnassemble = r.next
    let error: String? =
      r.failed
      ? CommandError.memoryAccess(
        position: inv.argumentsStart + inv.line.dropFirst(inv.argumentsStart).prefix { $0 == " " }.count
      ).render(line: inv.line, promptWidth: session.promptWidth) : nil
    return Output(instructions: r.lines, memoryError: error)
  }
}
