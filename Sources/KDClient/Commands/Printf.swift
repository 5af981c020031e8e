import Foundation

/// `.printf [Option] "FormatString" [, Argument, ...]`: C's printf over MASM expressions, with the debugger's
/// conversions: `%p` (a target pointer, 8 digits here), `%N` (a host pointer: 16 uppercase digits on this 64-bit
/// host), `%ma`/`%mu` (the NUL-terminated ASCII/UTF-16 string at a target address), `%msa`/`%msu` (an
/// ANSI_STRING/UNICODE_STRING at a target address), `%y` (the symbol with its displacement and the address:
/// `nt!ExAllocatePoolWithTag+0x16 (804d8016)`), `%ly` (the same: there is no line information), and C's
/// `%d %i %u %x %X %o %c %s %%` with flags, width, precision and the `I64`/`ll` modifiers (a value is 32 bits
/// without them). The format string takes C escapes (`\n`, `\t`, `\"`, `\\`). `%s` takes a quoted string
/// argument (ours; an expression is read as `%ma` reads it). Output ends with a line break even when the
/// format does not (the transcript is line-based).
enum Printf: Command {
  static let names = [".printf"]
  static let summary = ".printf \"Format\" [, Arg ...]   formatted output (%p %N %d %u %x %c %s %ma %mu %msa %msu %y)"
  /// Longest string `%ma`/`%mu` read from the target.
  static let maxString = 4096

  struct Output: CommandOutput {
    var text: String
    var lines: [String] {
      var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if l.last == "" { l.removeLast() }
      return l
    }
  }

  /// An argument: an expression's value or a quoted string, and where it starts (for errors).
  enum Argument {
    case value(UInt64, at: Int)
    case string(String, at: Int)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    p.skipSpaces()
    while p.position < p.chars.count, p.chars[p.position] == "/" {
      let from = p.position
      while p.position < p.chars.count, p.chars[p.position] != " " { p.position += 1 }
      let option = String(p.chars[from..<p.position])
      guard ["/od", "/oD", "/oe", "/on", "/op", "/oP", "/os", "/ov", "/ow"].contains(option) else {
        throw .syntax(position: from)
      }
      p.skipSpaces()
    }
    guard p.position < p.chars.count, p.chars[p.position] == "\"" else { throw .syntax(position: p.position) }
    let format = try quoted(&p, escapes: true)
    var arguments: [Argument] = []
    while !p.atEnd {
      guard p.chars[p.position] == "," else { throw .syntax(position: p.position) }
      p.position += 1
      p.skipSpaces()
      let at = p.position
      if p.position < p.chars.count, p.chars[p.position] == "\"" {
        arguments.append(.string(try quoted(&p, escapes: false), at: at))
      } else {
        arguments.append(.value(try p.parse(), at: at))
      }
    }
    var formatter = Formatter(session: session, line: inv.line, arguments: arguments)
    return Output(text: try formatter.format(format))
  }

  /// A `"…"` string at the parser's position; C escapes in the format string.
  private static func quoted(_ p: inout ExpressionParser, escapes: Bool) throws(CommandError) -> String {
    let open = p.position
    p.position += 1
    var text = ""
    while p.position < p.chars.count {
      let c = p.chars[p.position]
      p.position += 1
      if c == "\"" { return text }
      if escapes, c == "\\", p.position < p.chars.count {
        let e = p.chars[p.position]
        p.position += 1
        let map: [Character: String] = ["n": "\n", "t": "\t", "r": "", "\\": "\\", "\"": "\"", "0": "", "a": ""]
        text += map[e] ?? "\\" + String(e)
      } else {
        text.append(c)
      }
    }
    throw .syntax(position: open)
  }

  /// Applies a format string to the arguments, reading target memory for `%m…` and symbols for `%y`.
  struct Formatter {
    let session: Session
    let line: String
    let arguments: [Argument]
    var next = 0

    init(session: Session, line: String, arguments: [Argument]) {
      self.session = session
      self.line = line
      self.arguments = arguments
    }

    mutating func format(_ format: String) throws(CommandError) -> String {
      let f = Array(format)
      var out = ""
      var i = 0
      while i < f.count {
        guard f[i] == "%" else {
          out.append(f[i])
          i += 1
          continue
        }
        i += 1
        var flags = ""
        while i < f.count, "-+ #0".contains(f[i]) {
          flags.append(f[i])
          i += 1
        }
        var width = 0
        while i < f.count, let d = f[i].wholeNumberValue, width < 1000 {
          width = width * 10 + d
          i += 1
        }
        var precision: Int?
        if i < f.count, f[i] == "." {
          i += 1
          var n = 0
          while i < f.count, let d = f[i].wholeNumberValue, n < 1000 {
            n = n * 10 + d
            i += 1
          }
          precision = n
        }
        var wide = false
        var long = false
        for modifier in ["I64", "ll", "I32", "l", "h", "I"]
        where String(f[i..<min(i + modifier.count, f.count)]) == modifier {
          wide = modifier == "I64" || modifier == "ll"
          long = modifier == "l"
          i += modifier.count
          break
        }
        guard i < f.count else { throw .message("Incomplete conversion at the end of the format string") }
        let c = f[i]
        i += 1
        let text: String
        switch c {
        case "%": text = "%"
        case "p": text = Hex.d8(UInt32(truncatingIfNeeded: try value()))
        case "N": text = Hex.digits(try value(), width: 16).uppercased()
        case "d", "i":
          let v = try value()
          text = number(wide ? String(Int64(bitPattern: v)) : String(Int32(truncatingIfNeeded: v)), flags, precision)
        case "u": text = number(unsigned(try value(), wide, radix: 10), flags, precision)
        case "x":
          text = number((flags.contains("#") ? "0x" : "") + unsigned(try value(), wide, radix: 16), flags, precision)
        case "X":
          text = number(
            (flags.contains("#") ? "0X" : "") + unsigned(try value(), wide, radix: 16).uppercased(), flags, precision)
        case "o": text = number(unsigned(try value(), wide, radix: 8), flags, precision)
        case "c": text = String(Character(Unicode.Scalar(UInt8(truncatingIfNeeded: try value()))))
        case "s": text = clip(try string(), precision)
        case "y":
          let address = UInt32(truncatingIfNeeded: try value())
          text = try session.describe(address).map { "\($0) (\(Hex.d8(address)))" } ?? Hex.d8(address)
        case "m":
          text = clip(try memoryString(f, &i), precision)
        case "f", "e", "E", "g", "G":
          let v = try value()
          let d = long || wide ? Double(bitPattern: v) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: v)))
          text = String(format: "%" + flags + (precision.map { ".\($0)" } ?? "") + String(c), d)
        default:
          throw .message("Unknown conversion '%\(c)' in the format string")
        }
        out += pad(text, width: width, flags: flags)
      }
      return out
    }

    private mutating func argument() throws(CommandError) -> Argument {
      guard next < arguments.count else {
        throw .message("The format string has more conversions than there are arguments (\(arguments.count))")
      }
      next += 1
      return arguments[next - 1]
    }

    private mutating func value() throws(CommandError) -> UInt64 {
      switch try argument() {
      case .value(let v, _): return v
      case .string(_, let at): throw .syntax(position: at)
      }
    }

    /// `%s`: a quoted argument as written, or the ASCII string at an expression's address.
    private mutating func string() throws(CommandError) -> String {
      switch try argument() {
      case .string(let s, _): return s
      case .value(let v, let at): return try ascii(at: UInt32(truncatingIfNeeded: v), argumentAt: at)
      }
    }

    /// `%ma`, `%mu`, `%msa`, `%msu` (`i` is after the `m`).
    private mutating func memoryString(_ f: [Character], _ i: inout Int) throws(CommandError) -> String {
      var kind = ""
      if i < f.count, f[i] == "s" {
        kind = "s"
        i += 1
      }
      guard i < f.count, f[i] == "a" || f[i] == "u" else {
        throw .message("Unknown conversion '%m' in the format string")
      }
      let unicode = f[i] == "u"
      i += 1
      let arg = try argument()
      guard case .value(let v, let at) = arg else {
        if case .string(_, let at) = arg { throw .syntax(position: at) }
        return ""
      }
      var address = UInt32(truncatingIfNeeded: v)
      var length: Int?
      if kind == "s" {
        // ANSI_STRING / UNICODE_STRING: USHORT Length, USHORT MaximumLength, PCHAR/PWSTR Buffer.
        guard let header = try session.readExact(address, count: 8) else { throw .memoryAccessAt(position: at) }
        length = Int(header.u16(at: 0))
        address = header.u32(at: 4)
      }
      return unicode
        ? try utf16(at: address, bytes: length, argumentAt: at) : try ascii(at: address, bytes: length, argumentAt: at)
    }

    private func ascii(at address: UInt32, bytes: Int? = nil, argumentAt at: Int) throws(CommandError) -> String {
      let units = try read(address, unit: 1, count: bytes, argumentAt: at)
      return String(units.map { Character(Unicode.Scalar(UInt8(truncatingIfNeeded: $0))) })
    }

    private func utf16(at address: UInt32, bytes: Int? = nil, argumentAt at: Int) throws(CommandError) -> String {
      let units = try read(address, unit: 2, count: bytes.map { $0 / 2 }, argumentAt: at)
      return String(decoding: units, as: UTF16.self)
    }

    /// Units (1 or 2 bytes) from `address`: `count` of them, or up to the first zero (at most `maxString`);
    /// an unreadable first unit is `Memory access error at` the argument.
    private func read(_ address: UInt32, unit: Int, count: Int?, argumentAt at: Int) throws(CommandError)
      -> [UInt16]
    {
      let limit = min(count ?? Printf.maxString, Printf.maxString)
      var units: [UInt16] = []
      var a = address
      while units.count < limit {
        let want = min(256, limit - units.count) * unit
        let bytes = try session.targetCall { () throws(TargetError) in try session.target.readVirtual(a, count: want) }
        if bytes.count < unit && units.isEmpty { throw .memoryAccessAt(position: at) }
        var i = 0
        while i + unit <= bytes.count {
          let u = unit == 1 ? UInt16(bytes[i]) : bytes.u16(at: i)
          if u == 0 && count == nil { return units }
          units.append(u)
          i += unit
        }
        guard bytes.count == want else { break }
        let (next, overflow) = a.addingReportingOverflow(UInt32(want))
        guard !overflow else { break }
        a = next
      }
      return units
    }

    private func unsigned(_ v: UInt64, _ wide: Bool, radix: Int) -> String {
      String(wide ? v : UInt64(UInt32(truncatingIfNeeded: v)), radix: radix)
    }

    /// A number's digits with C's precision (minimum digits) and `+`/space flags.
    private func number(_ digits: String, _ flags: String, _ precision: Int?) -> String {
      var sign = ""
      var body = digits
      if body.hasPrefix("-") {
        sign = "-"
        body.removeFirst()
      } else if flags.contains("+") {
        sign = "+"
      } else if flags.contains(" ") {
        sign = " "
      }
      if let precision, body.count < precision { body = String(repeating: "0", count: precision - body.count) + body }
      return sign + body
    }

    private func clip(_ s: String, _ precision: Int?) -> String {
      precision.map { String(s.prefix($0)) } ?? s
    }

    private func pad(_ text: String, width: Int, flags: String) -> String {
      guard text.count < width else { return text }
      let fill = width - text.count
      if flags.contains("-") { return text + String(repeating: " ", count: fill) }
      if flags.contains("0"), let first = text.first, first.isNumber || "+- ".contains(first) {
        let signed = "+- ".contains(first)
        return (signed ? String(first) : "") + String(repeating: "0", count: fill) + text.dropFirst(signed ? 1 : 0)
      }
      return String(repeating: " ", count: fill) + text
    }
  }
}
