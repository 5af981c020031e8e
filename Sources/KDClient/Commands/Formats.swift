import Foundation

/// `.formats expr`: the value in hex, decimal, octal, binary, chars (MSB first), time, float, double.
enum Formats: Command {
  static let names = [".formats"]
  static let summary = ".formats Expression   show a number in every format"

  struct Output: CommandOutput {
    @HexString var value: UInt64

    var lines: [String] {
      let low = UInt32(truncatingIfNeeded: value)
      let high = UInt32(truncatingIfNeeded: value >> 32)
      let is32 = high == 0 || (high == 0xffff_ffff && low & 0x8000_0000 != 0)
      let bits = is32 ? 32 : 64
      let hex = is32 ? Hex.d8(low) : Hex.q(value)
      let decimal = is32 ? String(Int32(bitPattern: low)) : String(Int64(bitPattern: value))
      let octalValue = is32 ? UInt64(low) : value
      let octal = String(octalValue, radix: 8).leftPadded(to: is32 ? 11 : 22, with: "0")
      let binaryValue = is32 ? UInt64(low) : value
      let binary = stride(from: bits - 8, through: 0, by: -8).map {
        String(UInt8(truncatingIfNeeded: binaryValue >> UInt64($0)), radix: 2).leftPadded(to: 8, with: "0")
      }.joined(separator: " ")
      let chars = String(
        stride(from: bits - 8, through: 0, by: -8).map {
          Ascii.char(UInt8(truncatingIfNeeded: binaryValue >> UInt64($0)))
        })
      let float = Float(bitPattern: low)
      let floatHigh = Float(bitPattern: high)
      let double = Double(bitPattern: value)
      return [
        "Evaluate expression:",
        "  Hex:     \(hex)",
        "  Decimal: \(decimal)",
        "  Octal:   \(octal)",
        "  Binary:  \(binary)",
        "  Chars:   \(chars)",
        "  Time:    \(Self.time(low))",
        "  Float:   low \(Self.g(Double(float))) high \(Self.g(Double(floatHigh)))",
        "  Double:  \(Self.g(double))",
      ]
    }

    enum CodingKeys: String, CodingKey { case value }

    /// `ctime`-like text of a time_t, as KD's `Time:` field (UTC here); `lm v`'s `Timestamp:` too.
    static func time(_ t: UInt32) -> String {
      if t == 0xffff_ffff || t == 0 { return "***** Invalid" }
      let date = Date(timeIntervalSince1970: TimeInterval(t))
      let f = DateFormatter()
      f.locale = Locale(identifier: "en_US_POSIX")
      f.timeZone = TimeZone(identifier: "UTC")
      f.dateFormat = "EEE MMM dd HH:mm:ss yyyy"
      return f.string(from: date)
    }

    /// `%g` as MSVC's C runtime prints it: a three-digit exponent (`6.36908e-022`), a quiet NaN as `1.#QNAN`
    /// (`-1.#QNAN` with the sign bit set) where glibc writes `nan`.
    private static func g(_ d: Double) -> String {
      if d.isNaN && !d.isSignalingNaN { return (d.sign == .minus ? "-" : "") + "1.#QNAN" }
      var s = String(format: "%g", d)
      if let e = s.firstIndex(of: "e") {
        let mantissa = s[..<e]
        var exp = s[s.index(after: e)...]
        let sign = exp.first == "-" ? "-" : "+"
        if exp.first == "-" || exp.first == "+" { exp = exp.dropFirst() }
        s = mantissa + "e" + sign + String(exp).leftPadded(to: 3, with: "0")
      }
      return s
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    let v = try p.parse()
    try p.expectEnd()
    return Output(value: v)
  }
}
