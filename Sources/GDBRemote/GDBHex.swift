/// Hex as the GDB remote protocol writes it: lowercase pairs for bytes, target byte order (little-endian) for
/// registers, and big-endian unprefixed numbers for addresses and lengths.
public enum GDBHex {
  static let digits = Array("0123456789abcdef".utf8)

  /// Two lowercase digits per byte.
  public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// A 32-bit register in target (little-endian) byte order.
  public static func register(_ value: UInt32) -> String {
    encode(withUnsafeBytes(of: value.littleEndian) { Array($0) })
  }

  /// A number as gdb writes addresses: big-endian hex, no leading zeros.
  public static func number<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

  /// Pairs of hex digits to bytes; nil on an odd count or a non-hex digit.
  public static func decode<Bytes: Collection>(_ text: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
    guard text.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(text.count / 2)
    var i = text.startIndex
    while i != text.endIndex {
      let j = text.index(after: i)
      guard let high = hexValue(text[i]), let low = hexValue(text[j]) else { return nil }
      out.append(high << 4 | low)
      i = text.index(after: j)
    }
    return out
  }
}
