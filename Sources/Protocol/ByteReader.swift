/// A bounds-checked little-endian cursor over a payload.
///
/// Every read checks the remaining length first and throws ``PayloadError/truncated(needed:available:offset:)``
/// with the absolute offset of the field, so a decode error names where it went wrong.
public struct ByteReader: Sendable {
  public let bytes: [UInt8]
  /// Offset of the next byte to read, from the start of `bytes`.
  public private(set) var offset: Int
  /// Added to `offset` in errors, so they name the offset within the whole frame.
  public let baseOffset: Int

  public init(_ bytes: [UInt8], baseOffset: Int = 0) {
    self.bytes = bytes
    self.offset = 0
    self.baseOffset = baseOffset
  }

  public var remaining: Int { bytes.count - offset }
  public var absoluteOffset: Int { baseOffset + offset }

  mutating func require(_ count: Int) throws(PayloadError) {
    if count > remaining {
      throw .truncated(needed: count, available: remaining, offset: absoluteOffset)
    }
  }

  public mutating func u8() throws(PayloadError) -> UInt8 {
    try require(1)
    defer { offset += 1 }
    return bytes[offset]
  }

  public mutating func u16() throws(PayloadError) -> UInt16 {
    try require(2)
    defer { offset += 2 }
    return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  public mutating func u32() throws(PayloadError) -> UInt32 {
    try require(4)
    defer { offset += 4 }
    var value: UInt32 = 0
    for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
    return value
  }

  public mutating func u64() throws(PayloadError) -> UInt64 {
    try require(8)
    defer { offset += 8 }
    var value: UInt64 = 0
    for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
    return value
  }

  public mutating func bytes(_ count: Int) throws(PayloadError) -> [UInt8] {
    try require(count)
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  /// Reads a field that this version of the protocol reserves: it must be zero, so it can get a meaning later.
  public mutating func reserved32() throws(PayloadError) {
    let at = absoluteOffset
    let value = try u32()
    if value != 0 { throw .reservedNotZero(found: UInt64(value), offset: at) }
  }

  public mutating func reserved16() throws(PayloadError) {
    let at = absoluteOffset
    let value = try u16()
    if value != 0 { throw .reservedNotZero(found: UInt64(value), offset: at) }
  }

  public mutating func reserved(_ count: Int) throws(PayloadError) {
    let at = absoluteOffset
    for byte in try bytes(count) where byte != 0 {
      throw .reservedNotZero(found: UInt64(byte), offset: at)
    }
  }

  /// A 64-bit address field that must fit the 32-bit target.
  public mutating func address32() throws(PayloadError) -> UInt32 {
    let at = absoluteOffset
    let value = try u64()
    guard let narrow = UInt32(exactly: value) else {
      throw .invalidValue(field: "address", found: value, offset: at)
    }
    return narrow
  }

  /// A `u32` that must be one of `E`'s values; another is `invalidValue` naming `field`.
  public mutating func enum32<E: RawRepresentable>(_: E.Type, field: String) throws(PayloadError) -> E
  where E.RawValue == UInt32 {
    let at = absoluteOffset
    let raw = try u32()
    guard let value = E(rawValue: raw) else { throw .invalidValue(field: field, found: UInt64(raw), offset: at) }
    return value
  }

  /// A u32 that holds a boolean: 0 or 1, nothing else (so a decoded payload re-encodes to the same bytes).
  public mutating func bool32(field: String) throws(PayloadError) -> Bool {
    let at = absoluteOffset
    let value = try u32()
    guard value <= 1 else { throw .invalidValue(field: field, found: UInt64(value), offset: at) }
    return value == 1
  }

  /// A u32 that must be one of `T`'s raw values; another is an invalid `field` at its offset.
  public mutating func enumeration<T: RawRepresentable>(_: T.Type, field: String) throws(PayloadError) -> T
  where T.RawValue == UInt32 {
    let at = absoluteOffset
    let raw = try u32()
    guard let value = T(rawValue: raw) else { throw .invalidValue(field: field, found: UInt64(raw), offset: at) }
    return value
  }

  /// UTF-8 text of a known length; invalid UTF-8 is an error, not a replacement character. The error names
  /// the first byte that does not begin a valid UTF-8 sequence: its offset, and the byte as the value found.
  public mutating func utf8(_ count: Int, field: String) throws(PayloadError) -> String {
    let at = absoluteOffset
    let raw = try bytes(count)
    guard let text = String(validating: raw, as: UTF8.self) else {
      let bad = Self.firstInvalidUTF8(raw) ?? 0
      throw .invalidValue(field: field, found: UInt64(raw[bad]), offset: at + bad)
    }
    return text
  }

  /// Index of the first byte of the first ill-formed sequence in `bytes`; nil when they are valid UTF-8.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var position = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let scalar): position += scalar.count
      case .error: return position
      case .emptyInput: return nil
      }
    }
  }

  /// Everything left must have been consumed: a payload longer than its declared contents is refused.
  public func expectEnd() throws(PayloadError) {
    if remaining != 0 {
      throw .lengthMismatch(field: "payload", expected: offset, found: bytes.count, offset: baseOffset)
    }
  }
}
