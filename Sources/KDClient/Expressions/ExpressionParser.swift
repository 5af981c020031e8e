/// MASM expression evaluation over a command line, from a position: default radix 16, `0x`/`0n`/`0t`/`0y`
/// prefixes and `h` suffix, `module!symbol+offset`, registers with or without `@`, `poi`/`dwo`/`wo`/`by`/`qwo`,
/// `hi`/`low`/`not`, arithmetic, shifts, comparisons, `and`/`xor`/`or`, and multi-character constants
/// (`' cbA'` = 0x20636241: first character most significant, never "corrected").
/// Values are 64-bit; 32-bit constants, symbols and registers with bit 31 set are sign-extended as
/// kernel-mode KD does, unless written with a backtick.
struct ExpressionParser {
  let chars: [Character]
  var position: Int
  let context: ExpressionContext
  /// Nesting of parentheses and unary operators so far; deep nesting is refused, not recursed into.
  private var depth = 0
  static let maxDepth = 200

  init(_ line: String, from position: Int = 0, context: ExpressionContext) {
    self.chars = Array(line)
    self.position = position
    self.context = context
  }

  var atEnd: Bool {
    mutating get {
      skipSpaces()
      return position >= chars.count
    }
  }

  var rest: String { position < chars.count ? String(chars[position...]) : "" }

  mutating func skipSpaces() {
    while position < chars.count, chars[position] == " " || chars[position] == "\t" { position += 1 }
  }

  /// Parses one full expression and returns its value; stops before anything that cannot continue it
  /// (so `addr L4` leaves `L4` unread).
  mutating func parse() throws(CommandError) -> UInt64 {
    skipSpaces()
    guard position < chars.count else { throw .syntax(position: position) }
    return try parseOr()
  }

  /// The low 32 bits of the next expression (an address on this 32-bit target).
  mutating func parseAddress() throws(CommandError) -> UInt32 {
    UInt32(truncatingIfNeeded: try parse())
  }

  // MARK: precedence levels, lowest first

  private mutating func parseOr() throws(CommandError) -> UInt64 {
    var v = try parseXor()
    while true {
      if take("|") || takeWord("or") { v |= try parseXor() } else { return v }
    }
  }

  private mutating func parseXor() throws(CommandError) -> UInt64 {
    var v = try parseAnd()
    while true {
      if take("^") || takeWord("xor") { v ^= try parseAnd() } else { return v }
    }
  }

  private mutating func parseAnd() throws(CommandError) -> UInt64 {
    var v = try parseCompare()
    while true {
      if take("&") || takeWord("and") { v &= try parseCompare() } else { return v }
    }
  }

  private mutating func parseCompare() throws(CommandError) -> UInt64 {
    var v = try parseShift()
    while true {
      let ops = ["==", "!=", "<=", ">=", "=", "<", ">"]
      guard let op = ops.first(where: { peek($0) && !peek("<<") && !peek(">>") }) else { return v }
      _ = take(op)
      let r = try parseShift()
      let a = Int64(bitPattern: v)
      let b = Int64(bitPattern: r)
      let result: Bool =
        switch op {
        case "==", "=": a == b
        case "!=": a != b
        case "<=": a <= b
        case ">=": a >= b
        case "<": a < b
        default: a > b
        }
      v = result ? 1 : 0
    }
  }

  private mutating func parseShift() throws(CommandError) -> UInt64 {
    var v = try parseAdditive()
    while true {
      if take(">>>") {
        v = UInt64(bitPattern: Int64(bitPattern: v) >> Int64(min(try parseAdditive(), 63)))
      } else if take("<<") {
        v = v << min(try parseAdditive(), 64)
      } else if take(">>") {
        v = v >> min(try parseAdditive(), 64)
      } else {
        return v
      }
    }
  }

  private mutating func parseAdditive() throws(CommandError) -> UInt64 {
    var v = try parseMultiplicative()
    while true {
      if take("+") {
        v = v &+ (try parseMultiplicative())
      } else if take("-") {
        v = v &- (try parseMultiplicative())
      } else {
        return v
      }
    }
  }

  private mutating func parseMultiplicative() throws(CommandError) -> UInt64 {
    var v = try parseUnary()
    while true {
      skipSpaces()
      let at = position
      if take("*") {
        v = v &* (try parseUnary())
      } else if take("/") {
        let d = try parseUnary()
        let r = Int64(bitPattern: v).dividedReportingOverflow(by: Int64(bitPattern: d))
        guard d != 0, !r.overflow else { throw .operand(position: at) }
        v = UInt64(bitPattern: r.partialValue)
      } else if take("%") || takeWord("mod") {
        let d = try parseUnary()
        let r = Int64(bitPattern: v).remainderReportingOverflow(dividingBy: Int64(bitPattern: d))
        guard d != 0, !r.overflow else { throw .operand(position: at) }
        v = UInt64(bitPattern: r.partialValue)
      } else {
        return v
      }
    }
  }

  private mutating func parseUnary() throws(CommandError) -> UInt64 {
    skipSpaces()
    let at = position
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw .syntax(position: at) }
    if take("-") { return 0 &- (try parseUnary()) }
    if take("+") { return try parseUnary() }
    if takeWord("not") { return (try parseUnary()) == 0 ? 1 : 0 }
    if takeWord("hi") { return ((try parseUnary()) >> 16) & 0xffff }
    if takeWord("low") { return (try parseUnary()) & 0xffff }
    for (word, size, extend) in [
      ("poi", 4, true), ("dwo", 4, false), ("qwo", 8, false), ("wo", 2, false), ("by", 1, false),
    ] {
      if takeWord(word) {
        let address = try parseUnary()
        guard let v = try context.readInteger(UInt32(truncatingIfNeeded: address), size: size) else {
          // KD reports the read at its operand's closing parenthesis: `? poi(0)` -> `Memory access error at ')'`.
          let close = position > 0 && chars[position - 1] == ")" ? position - 1 : position
          throw .memoryAccessAt(position: close)
        }
        return extend ? Self.signExtend32(v) : v
      }
    }
    return try parsePrimary()
  }

  private mutating func parsePrimary() throws(CommandError) -> UInt64 {
    skipSpaces()
    guard position < chars.count else { throw .syntax(position: position) }
    let start = position
    let c = chars[position]
    if c == "(" {
      position += 1
      let v = try parseOr()
      guard take(")") else { throw .syntax(position: position) }
      return v
    }
    if c == "'" { return try parseCharConstant() }
    if c == "@" {
      position += 1
      let name = readWord()
      guard !name.isEmpty, let v = try context.registerValue(name) else { throw .badRegister(position: start) }
      return Self.signExtend32(UInt64(v))
    }
    if c == "." && !(position + 1 < chars.count && Self.isWordChar(chars[position + 1])) {
      position += 1
      guard let v = try context.registerValue("$ip") else { throw .badRegister(position: start) }
      return Self.signExtend32(UInt64(v))
    }
    let word = readWord()
    guard !word.isEmpty else { throw .syntax(position: start) }
    if word.hasPrefix("!") {
      return try symbol(String(word.dropFirst()), at: start)
    }
    if let n = Self.number(word) { return n }
    if word.hasPrefix("$"), let v = try context.registerValue(word) { return Self.signExtend32(UInt64(v)) }
    if !word.contains("!"), let v = try context.registerValue(word) { return Self.signExtend32(UInt64(v)) }
    return try symbol(word, at: start)
  }

  private func symbol(_ name: String, at start: Int) throws(CommandError) -> UInt64 {
    guard let address = try context.resolveSymbol(name) else { throw .couldntResolve(position: start) }
    return Self.signExtend32(UInt64(address))
  }

  /// `'…'`: up to 8 characters, first character in the most significant byte.
  private mutating func parseCharConstant() throws(CommandError) -> UInt64 {
    let start = position
    position += 1
    var v: UInt64 = 0
    var n = 0
    while position < chars.count, chars[position] != "'" {
      guard let ascii = chars[position].asciiValue, n < 8 else { throw .syntax(position: start) }
      v = v << 8 | UInt64(ascii)
      n += 1
      position += 1
    }
    guard position < chars.count, n > 0 else { throw .syntax(position: start) }
    position += 1
    return v
  }

  // MARK: lexing

  static func isWordChar(_ c: Character) -> Bool {
    c.isLetter || c.isNumber || c == "_" || c == "!" || c == "$" || c == "`"
  }

  private mutating func readWord() -> String {
    let start = position
    while position < chars.count,
      Self.isWordChar(chars[position])
        || (chars[position] == ":" && position + 1 < chars.count && chars[position + 1] == ":")
    {
      if chars[position] == ":" { position += 1 }
      position += 1
    }
    return String(chars[start..<position])
  }

  /// A MASM number in the default radix 16, or nil when `word` is not one (then it is a symbol).
  static func number(_ word: String) -> UInt64? {
    var text = word.lowercased()
    var radix = 16
    if text.count >= 2, text.hasPrefix("0") {
      let p = text[text.index(after: text.startIndex)]
      let map: [Character: Int] = ["x": 16, "n": 10, "t": 8, "y": 2]
      if let r = map[p] {
        radix = r
        text = String(text.dropFirst(2))
        if text.isEmpty { return 0 }
      }
    }
    if radix == 16, text.count > 1, text.hasSuffix("h"), !word.lowercased().hasPrefix("0x") {
      text = String(text.dropLast())
    }
    let hasBacktick = text.contains("`")
    text = text.filter { $0 != "`" }
    guard !text.isEmpty, text.count <= 64, let v = UInt64(text, radix: radix) else { return nil }
    return hasBacktick ? v : signExtend32(v)
  }

  /// Kernel-mode KD sign-extends 32-bit values with bit 31 set.
  static func signExtend32(_ v: UInt64) -> UInt64 {
    if v >> 32 == 0 && v & 0x8000_0000 != 0 { return v | 0xffff_ffff_0000_0000 }
    return v
  }

  // MARK: tokens

  private mutating func peek(_ s: String) -> Bool {
    skipSpaces()
    let s = Array(s)
    guard position + s.count <= chars.count else { return false }
    return Array(chars[position..<position + s.count]) == s
  }

  private mutating func take(_ s: String) -> Bool {
    guard peek(s) else { return false }
    position += s.count
    return true
  }

  /// A word operator (`mod`, `poi`, ...) not followed by more word characters.
  private mutating func takeWord(_ w: String) -> Bool {
    skipSpaces()
    let n = w.count
    guard position + n <= chars.count, String(chars[position..<position + n]).lowercased() == w else { return false }
    if position + n < chars.count, Self.isWordChar(chars[position + n]) { return false }
    position += n
    return true
  }
}
