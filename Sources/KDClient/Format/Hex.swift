/// KD's number spellings: lowercase hex, no `0x` in data columns, 8 digits for 32-bit addresses.
enum Hex {
  static func digits<T: BinaryInteger>(_ value: T, width: Int) -> String {
    String(value, radix: 16).leftPadded(to: width, with: "0")
  }

  /// An 8-digit address or dword.
  static func d8(_ value: UInt32) -> String { digits(value, width: 8) }

  /// A 64-bit expression value as KD shows it: 8 digits when the high half is zero (or all ones with
  /// bit 31 set, the sign-extension of a 32-bit kernel address), else ``hhhhhhhh`llllllll``.
  static func value(_ v: UInt64) -> String {
    let high = UInt32(truncatingIfNeeded: v >> 32)
    let low = UInt32(truncatingIfNeeded: v)
    if high == 0 || (high == 0xffff_ffff && low & 0x8000_0000 != 0) { return d8(low) }
    return d8(high) + "`" + d8(low)
  }

  /// A quadword with the backtick between its halves, as `dq` prints it.
  static func q(_ v: UInt64) -> String {
    d8(UInt32(truncatingIfNeeded: v >> 32)) + "`" + d8(UInt32(truncatingIfNeeded: v))
  }
}

extension String {
  func leftPadded(to width: Int, with pad: Character = " ") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }

  func rightPadded(to width: Int, with pad: Character = " ") -> String {
    count >= width ? self : self + String(repeating: pad, count: width - count)
  }
}

/// Printable-ASCII rendering used by `db`, `dc`, tags: 0x20...0x7e as themselves, the rest as `.`.
enum Ascii {
  static func char(_ b: UInt8) -> Character {
    (0x20...0x7e).contains(b) ? Character(Unicode.Scalar(b)) : "."
  }

  static func text(_ bytes: [UInt8]) -> String { String(bytes.map(char)) }

  /// A pool tag's four bytes in memory order.
  static func tag(_ value: UInt32) -> String {
    text([UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)])
  }
}
