/// DbgKdSearchMemoryApi (0x3156): find a byte pattern in kernel memory, skipping unmapped pages.
///
/// u: `SearchAddress u64 @16` (in: start; out: the address found), `SearchLength u64 @24`,
/// `PatternLength u32 @32`. Request data: the pattern (1 to 256 bytes). Reply: STATUS_SUCCESS with the found
/// address, or STATUS_NO_MORE_ENTRIES when the range holds no match.
public struct SearchMemory: ManipulateBody {
  public static let api = ApiNumber.searchMemory
  public static let maxPatternLength = 256
  public var address: UInt64
  public var length: UInt64
  public var pattern: [UInt8]

  public init(address: UInt64, length: UInt64, pattern: [UInt8]) {
    self.address = address
    self.length = length
    self.pattern = pattern
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    length = try u.u64()
    let lengthAt = u.absoluteOffset
    let patternLength = Int(try u.u32())
    try u.reserved(u.remaining)
    if patternLength > Self.maxPatternLength {
      throw .invalidValue(field: "PatternLength", found: UInt64(patternLength), offset: lengthAt)
    }
    pattern = d.bytes
    if !pattern.isEmpty && pattern.count != patternLength {
      throw .lengthMismatch(field: "PatternLength", expected: patternLength, found: pattern.count, offset: lengthAt)
    }
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u64(length)
    u.u32(UInt32(pattern.count))
    d.append(pattern)
  }
}
