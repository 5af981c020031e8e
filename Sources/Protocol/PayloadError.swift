/// Why a frame's payload could not be decoded. Each case carries its evidence: the offset within the frame
/// (header included) and what was expected against what was found.
public enum PayloadError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The payload ended before a field: `needed` bytes at `offset`, only `available` left.
  case truncated(needed: Int, available: Int, offset: Int)
  /// A length or count field disagrees with the bytes that are there.
  case lengthMismatch(field: String, expected: Int, found: Int, offset: Int)
  /// A field this protocol version reserves is not zero.
  case reservedNotZero(found: UInt64, offset: Int)
  /// A field holds a value outside its domain.
  case invalidValue(field: String, found: UInt64, offset: Int)

  public var description: String {
    switch self {
    case .truncated(let needed, let available, let offset):
      "payload truncated at offset \(offset): needed \(needed) bytes, \(available) available"
    case .lengthMismatch(let field, let expected, let found, let offset):
      "\(field) length mismatch at offset \(offset): expected \(expected), found \(found)"
    case .reservedNotZero(let found, let offset):
      "reserved field at offset \(offset) must be 0, found 0x\(String(found, radix: 16))"
    case .invalidValue(let field, let found, let offset):
      "invalid \(field) at offset \(offset): 0x\(String(found, radix: 16))"
    }
  }
}
