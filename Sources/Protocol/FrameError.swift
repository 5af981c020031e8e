/// Why the bytes on a connection are not a valid frame. Each case names the offset (from the start of the
/// frame) and the value expected against the one found. After a FrameError the stream cannot be trusted:
/// the receiver answers with a goodbye and closes.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The first four bytes are not one of KD's leaders ("0000", "iiii", "bbbb").
  case badLeader(found: UInt32, offset: Int)
  /// The byte count exceeds the negotiated (or hard) maximum.
  case oversized(byteCount: Int, limit: Int, offset: Int)
  /// The payload's byte sum does not match the header's checksum.
  case checksumMismatch(expected: UInt32, found: UInt32, offset: Int)
  /// The byte after a data packet's payload is not 0xAA.
  case badTrailer(found: UInt8, offset: Int)
  /// A control or break-in packet declares a payload, or a field that must be fixed is not.
  case unexpectedValue(field: String, expected: UInt32, found: UInt32, offset: Int)

  public var description: String {
    switch self {
    case .badLeader(let found, let offset):
      "bad packet leader at offset \(offset): expected 0x30303030, 0x69696969 or 0x62626262, found 0x\(hex(found))"
    case .oversized(let byteCount, let limit, let offset):
      "byte count at offset \(offset) is \(byteCount), above the limit of \(limit)"
    case .checksumMismatch(let expected, let found, let offset):
      "checksum mismatch at offset \(offset): header says 0x\(hex(expected)), payload sums to 0x\(hex(found))"
    case .badTrailer(let found, let offset):
      "bad trailing byte at offset \(offset): expected 0xaa, found 0x\(hex(UInt32(found)))"
    case .unexpectedValue(let field, let expected, let found, let offset):
      "\(field) at offset \(offset): expected 0x\(hex(expected)), found 0x\(hex(found))"
    }
  }
}

func hex(_ value: UInt32) -> String { String(value, radix: 16) }
