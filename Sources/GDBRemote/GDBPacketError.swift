/// What was wrong with bytes that should have been a GDB remote packet, with the evidence: the offset in the
/// stream (bytes fed to the decoder since it was made) and what was expected against what was found.
public enum GDBPacketError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The two checksum digits after `#` do not match the payload's byte sum (mod 256).
  case badChecksum(expected: UInt8, found: UInt8, offset: UInt64)
  /// A checksum digit that is not hex.
  case badChecksumDigit(found: UInt8, offset: UInt64)
  /// The payload grew past the limit the stub advertised (PacketSize) at byte `offset`; it was dropped up to its
  /// `#xx`.
  case tooLong(limit: Int, offset: UInt64)
  /// A `$` began a new packet before the previous one's `#`: the unfinished one was dropped.
  case unterminated(offset: UInt64)
  /// A `}` escape as the payload's last byte (nothing to unescape).
  case danglingEscape(offset: UInt64)

  public var description: String {
    switch self {
    case .badChecksum(let expected, let found, let offset):
      "packet checksum at byte \(offset): expected \(hex2(expected)), found \(hex2(found))"
    case .badChecksumDigit(let found, let offset):
      "packet checksum at byte \(offset): expected a hex digit, found byte 0x\(hex2(found))"
    case .tooLong(let limit, let offset):
      "packet passed PacketSize \(limit) at byte \(offset): dropped"
    case .unterminated(let offset): "packet cut off by a new '$' at byte \(offset): dropped"
    case .danglingEscape(let offset): "packet escape '}' with nothing after it at byte \(offset)"
    }
  }
}

func hex2(_ v: UInt8) -> String {
  let digits = Array("0123456789abcdef")
  return String([digits[Int(v >> 4)], digits[Int(v & 15)]])
}
