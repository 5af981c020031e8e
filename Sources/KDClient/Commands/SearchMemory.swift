/// `s [-b|-w|-d|-q|-a|-u] Range Pattern`: every hit in the range (the target's search primitive does the
/// scanning), printed as a `db`/`dw`/`dc`/`dq` line at the hit as KD does.
enum SearchMemory: Command {
  static let names = ["s"]
  static let summary = "s [-b|-w|-d|-q|-a|-u] Range Pattern   search memory"

  struct Output: CommandOutput {
    @HexString var hits: [UInt32]
    var display: [DisplayMemory.Output]
    var lines: [String] { display.flatMap { Array($0.lines.prefix(1)) } }
    enum CodingKeys: String, CodingKey { case hits }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    p.skipSpaces()
    var kind = "b"
    if p.position < p.chars.count, p.chars[p.position] == "-" {
      let at = p.position
      p.position += 1
      var flag = ""
      while p.position < p.chars.count, p.chars[p.position].isLetter {
        flag.append(p.chars[p.position])
        p.position += 1
      }
      guard ["b", "w", "d", "q", "a", "u"].contains(flag.lowercased()) else { throw .syntax(position: at) }
      kind = flag.lowercased()
    }
    let unit = ["w": 2, "u": 2, "d": 4, "q": 8][kind] ?? 1
    let range = try RangeArgument.parse(&p, unitSize: unit, defaultCount: 0, defaultStart: nil)
    guard range.count > 0 else { throw .syntax(position: p.position) }
    let pattern = try parsePattern(&p, kind: kind, unit: unit)
    let length = UInt32(truncatingIfNeeded: range.count * unit)
    var hits: [UInt32] = []
    var from = range.start
    let end = UInt64(range.start) + UInt64(length)
    // The range is searched a piece at a time (a pattern may start in one piece and end in the next), so that
    // Ctrl+C stops a long search between pieces.
    let piece: UInt64 = 1 << 20
    while UInt64(from) < end, hits.count < 4096 {
      try session.checkCancelled()
      let length = UInt32(min(end - UInt64(from), piece + UInt64(pattern.count) - 1))
      let start = from
      guard
        let hit = try session.targetCall({ () throws(TargetError) in
          try session.target.search(from: start, length: length, pattern: pattern)
        })
      else {
        guard UInt64(from) + piece < end else { break }
        from = from &+ UInt32(piece)
        continue
      }
      hits.append(hit)
      from = hit &+ 1
      if from == 0 { break }
    }
    let format = ["b": "db", "a": "db", "w": "dw", "u": "dw", "d": "dc", "q": "dq"][kind] ?? "db"
    var display: [DisplayMemory.Output] = []
    for h in hits {
      let perLine = 16 / unit
      let bytes = try session.readBytes(h, count: perLine * unit)
      let values = DisplayMemory.units(bytes, size: unit)
      display.append(DisplayMemory.Output(format: format, address: h, unitSize: unit, values: values, strings: nil))
    }
    return Output(hits: hits, display: display)
  }

  private static func parsePattern(_ p: inout ExpressionParser, kind: String, unit: Int) throws(CommandError) -> [UInt8]
  {
    p.skipSpaces()
    let at = p.position
    if kind == "a" || kind == "u" {
      let text = try p.parseQuotedASCII()
      let bytes = kind == "u" ? text.flatMap { [$0, 0] } : text
      try p.expectEnd()
      guard !bytes.isEmpty else { throw .syntax(position: at) }
      return bytes
    }
    var bytes: [UInt8] = []
    while !p.atEnd {
      let v = try p.parse()
      bytes.append(contentsOf: littleEndianBytes(v, size: unit))
    }
    guard !bytes.isEmpty else { throw .syntax(position: at) }
    return bytes
  }
}
