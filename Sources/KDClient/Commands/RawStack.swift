/// `kd [WordCount]`: the raw stack, one DWORD a line from `esp` with the symbol it points into: `dds` on the stack
/// pointer (KD's table says so); `WordCount` DWORDs, `dds`'s 128 bytes (0x20) by default.
enum RawStack: Command {
  static let names = ["kd"]
  static let summary = "kd [WordCount]   raw stack: dds from esp"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var count = 0x20
    if !p.atEnd {
      let at = p.position
      let n = try p.parse()
      guard n > 0, n <= UInt64(DisplayPointers.maxPointers) else { throw .syntax(position: at) }
      count = Int(n)
      try p.expectEnd()
    }
    let esp = try session.currentContext().esp
    let rows = try DisplayPointers.rows(format: "dds", start: esp, count: count, session: session)
    session.lastDisplay = ("dds", esp &+ UInt32(truncatingIfNeeded: count &* 4))
    return DisplayPointers.Output(format: "dds", rows: rows)
  }
}
