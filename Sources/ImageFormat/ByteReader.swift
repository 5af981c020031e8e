/// Bounds-checked little-endian reads over one stream's bytes; every read past the end is a typed error naming
/// the stream and offset.
struct ByteReader {
  let bytes: [UInt8]
  let stream: String
  var offset: Int

  init(_ bytes: [UInt8], stream: String, offset: Int = 0) {
    self.bytes = bytes
    self.stream = stream
    self.offset = offset
  }

  var remaining: Int { max(0, bytes.count - offset) }
  var atEnd: Bool { offset >= bytes.count }

  func need(_ n: Int) throws(ImageFormatError) {
    guard n >= 0, offset >= 0, offset <= bytes.count, n <= bytes.count - offset else {
      throw .truncated(stream: stream, offset: offset, needed: n, available: remaining)
    }
  }

  mutating func u8() throws(ImageFormatError) -> UInt8 {
    try need(1)
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func u16() throws(ImageFormatError) -> UInt16 {
    try need(2)
    defer { offset += 2 }
    return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  mutating func u32() throws(ImageFormatError) -> UInt32 {
    try need(4)
    defer { offset += 4 }
    return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
      | UInt32(bytes[offset + 3]) << 24
  }

  mutating func i32() throws(ImageFormatError) -> Int32 { Int32(bitPattern: try u32()) }

  mutating func u64() throws(ImageFormatError) -> UInt64 {
    let low = UInt64(try u32())
    return low | UInt64(try u32()) << 32
  }

  mutating func take(_ n: Int) throws(ImageFormatError) -> [UInt8] {
    try need(n)
    defer { offset += n }
    return Array(bytes[offset..<offset + n])
  }

  mutating func skip(_ n: Int) throws(ImageFormatError) {
    try need(n)
    offset += n
  }

  /// A zero-terminated string (UTF-8; invalid bytes are replaced, never trusted).
  mutating func cString() throws(ImageFormatError) -> String {
    guard let end = bytes[min(offset, bytes.count)...].firstIndex(of: 0) else {
      throw .malformed(stream: stream, offset: offset, expected: "a zero-terminated string", found: "the stream's end")
    }
    defer { offset = end + 1 }
    return String(decoding: bytes[offset..<end], as: UTF8.self)
  }

  /// Moves to the next multiple of `n` (within the stream; clamped at its end).
  mutating func align(_ n: Int) {
    let r = offset % n
    if r != 0 { offset = min(bytes.count, offset + n - r) }
  }

  /// A u32 length or count that must fit in what is left, each item `itemSize` bytes.
  mutating func count(itemSize: Int, what: String) throws(ImageFormatError) -> Int {
    let at = offset
    let n = Int(try u32())
    guard itemSize == 0 || n <= remaining / itemSize else {
      throw .malformed(
        stream: stream, offset: at, expected: "\(what) fitting in the \(remaining) bytes left", found: "\(n)")
    }
    return n
  }
}
