/// A pool tag DWORD that `--json` writes as its four characters in memory order (`"Abc "`), as `!poolused` and
/// PoolMon show them. A byte outside printable ASCII (0x20-0x7e), and the backslash, is written as `\xNN` (two
/// lowercase hex digits), so every tag reads back exactly: `"Ab\x00 "` is the tag 0x20006241 (docs/COMMANDS.md,
/// "JSON"; docs/kd-json.schema.json, `tag`).
@propertyWrapper
public struct TagString: Sendable, Equatable, Codable {
  public var wrappedValue: UInt32

  public init(wrappedValue: UInt32) { self.wrappedValue = wrappedValue }

  /// The tag's JSON spelling.
  public static func text(_ tag: UInt32) -> String {
    var out = ""
    for shift in stride(from: 0, to: 32, by: 8) {
      let b = UInt8(truncatingIfNeeded: tag >> UInt32(shift))
      if (0x20...0x7e).contains(b) && b != UInt8(ascii: "\\") {
        out.append(Character(Unicode.Scalar(b)))
      } else {
        out += "\\x" + Hex.digits(b, width: 2)
      }
    }
    return out
  }

  /// The tag a JSON spelling stands for; nil when it is not four characters or escapes.
  public static func value(_ text: String) -> UInt32? {
    var bytes: [UInt8] = []
    var rest = Substring(text)
    while let c = rest.first {
      if c == "\\" {
        guard rest.count >= 4, rest.dropFirst().first == "x", let b = UInt8(rest.dropFirst(2).prefix(2), radix: 16)
        else { return nil }
        bytes.append(b)
        rest = rest.dropFirst(4)
      } else {
        guard let a = c.asciiValue, (0x20...0x7e).contains(a) else { return nil }
        bytes.append(a)
        rest = rest.dropFirst()
      }
    }
    guard bytes.count == 4 else { return nil }
    return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(Self.text(wrappedValue))
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    let s = try c.decode(String.self)
    guard let v = Self.value(s) else {
      throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not a pool tag")
    }
    wrappedValue = v
  }
}
