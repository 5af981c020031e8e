/// Stream 2, the TPI stream: the type records, numbered from `firstIndex` (0x1000) in order.
public struct TypeStream: Sendable {
  public var firstIndex: TypeIndex
  /// Each record's kind and body (after its length and kind), in index order.
  private var records: [(kind: UInt16, body: [UInt8], offset: Int)]

  static let stream = "TPI stream"

  init(_ bytes: [UInt8]) throws(ImageFormatError) {
    var r = ByteReader(bytes, stream: Self.stream)
    _ = try r.u32()  // version (20040203)
    let headerSize = Int(try r.u32())
    firstIndex = try r.u32()
    let end = try r.u32()
    let recordBytes = Int(try r.u32())
    guard headerSize >= 20, headerSize <= bytes.count, firstIndex <= end else {
      throw .malformed(
        stream: Self.stream, offset: 4, expected: "a header of 20...\(bytes.count) bytes and first index ≤ end",
        found: "header \(headerSize), indices 0x\(String(firstIndex, radix: 16))..<0x\(String(end, radix: 16))")
    }
    r.offset = headerSize
    var body = ByteReader(try r.take(recordBytes), stream: Self.stream, offset: 0)
    var list: [(UInt16, [UInt8], Int)] = []
    while !body.atEnd {
      let at = body.offset
      let length = Int(try body.u16())
      guard length >= 2 else {
        throw .malformed(
          stream: Self.stream, offset: headerSize + at, expected: "a record of at least 2 bytes", found: "\(length)")
      }
      let kind = try body.u16()
      list.append((kind, try body.take(length - 2), headerSize + at))
    }
    guard UInt64(list.count) == UInt64(end) - UInt64(firstIndex) else {
      throw .malformed(
        stream: Self.stream, offset: 12,
        expected: "\(UInt64(end) - UInt64(firstIndex)) records (the header's index range)",
        found: "\(list.count)")
    }
    records = list
  }

  public var count: Int { records.count }
  public var indices: Range<TypeIndex> { firstIndex..<firstIndex + TypeIndex(records.count) }

  /// The record's leaf kind; nil for a simple type or an index past the stream.
  public func kind(_ index: TypeIndex) -> UInt16? {
    guard let i = position(index) else { return nil }
    return records[i].kind
  }

  /// The decoded record; nil for a simple type or an index past the stream.
  public func record(_ index: TypeIndex) throws(ImageFormatError) -> TypeRecord? {
    guard let i = position(index) else { return nil }
    let r = records[i]
    return try TypeRecord.parse(kind: r.kind, body: r.body, offset: r.offset)
  }

  private func position(_ index: TypeIndex) -> Int? {
    guard index >= firstIndex else { return nil }
    let i = Int(index - firstIndex)
    return i < records.count ? i : nil
  }
}
