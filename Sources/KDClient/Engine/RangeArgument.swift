/// KD's address-range argument: `Addr`, `Addr Lcount`, `Addr L?count`, `Addr L-count`, `Addr1 Addr2`
/// (inclusive), or nothing (continue where the last display ended).
struct RangeArgument {
  var start: UInt32
  /// Number of units (bytes for `db`, dwords for `dd`, ...).
  var count: Int

  /// Parses a range whose unit is `unitSize` bytes. `defaultStart` is used when no address is given.
  static func parse(
    _ p: inout ExpressionParser, unitSize: Int, defaultCount: Int, defaultStart: UInt32?
  ) throws(CommandError) -> RangeArgument {
    var start: UInt32
    if p.atEnd || p.peekRangeCount {
      guard let d = defaultStart else { throw .syntax(position: p.position) }
      start = d
    } else {
      start = try p.parseAddress()
    }
    guard !p.atEnd else { return RangeArgument(start: start, count: defaultCount) }
    let at = p.position
    if p.peekRangeCount {
      p.position += 1
      var lift = false
      var backwards = false
      if p.position < p.chars.count, p.chars[p.position] == "?" {
        lift = true
        p.position += 1
      } else if p.position < p.chars.count, p.chars[p.position] == "-" {
        backwards = true
        p.position += 1
      }
      var n = try p.parse()
      // A count is a 32-bit quantity: undo the kernel-mode sign extension of `L?ffffffff`.
      if n >> 32 == 0xffff_ffff && n & 0x8000_0000 != 0 { n &= 0xffff_ffff }
      // KD refuses more than 256 MB unless `L?`; we cap `L?` at 4 GB of address space.
      let limit: UInt64 = (lift ? 0x1_0000_0000 : 0x1000_0000) / UInt64(unitSize)
      guard n > 0, n <= limit else { throw .syntax(position: at) }
      if backwards { start = start &- UInt32(truncatingIfNeeded: n) &* UInt32(unitSize) }
      return RangeArgument(start: start, count: Int(n))
    }
    let end = try p.parseAddress()
    guard end >= start else { throw .syntax(position: at) }
    let bytes = Int(end - start) + 1
    guard bytes <= 0x1000_0000 else { throw .syntax(position: at) }
    return RangeArgument(start: start, count: (bytes + unitSize - 1) / unitSize)
  }
}

extension ExpressionParser {
  /// Whether the next token is an `L` count (`L4`, `l 20`, `L?10`, `L-8`) rather than an expression.
  var peekRangeCount: Bool {
    mutating get {
      skipSpaces()
      guard position < chars.count, chars[position] == "L" || chars[position] == "l" else { return false }
      guard position + 1 < chars.count else { return false }
      let next = chars[position + 1]
      if next == "?" || next == "-" || next == " " || next == "(" { return true }
      // `L` + a number (`L20`, `L0n32`); `leaky!Foo` is a symbol.
      var end = position + 1
      while end < chars.count, Self.isWordChar(chars[end]) { end += 1 }
      return Self.number(String(chars[(position + 1)..<end])) != nil
    }
  }

  /// A double-quoted string of ASCII characters (no escapes, as KD's `e*` and `s` take them).
  mutating func parseQuotedASCII() throws(CommandError) -> [UInt8] {
    skipSpaces()
    let start = position
    guard position < chars.count, chars[position] == "\"",
      let close = chars[(start + 1)...].firstIndex(of: "\"")
    else { throw .syntax(position: start) }
    var bytes: [UInt8] = []
    for c in chars[(start + 1)..<close] {
      guard let a = c.asciiValue else { throw .syntax(position: start) }
      bytes.append(a)
    }
    position = close + 1
    return bytes
  }

  /// Fails with a caret at the first leftover character unless the whole line was consumed.
  mutating func expectEnd() throws(CommandError) {
    if !atEnd { throw .syntax(position: position) }
  }
}
