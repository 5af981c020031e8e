/// An S_PUB32 record: a public symbol as Microsoft's public PDBs give them (a decorated name, where it is, and
/// whether it is code).
public struct PublicSymbol: Sendable, Equatable {
  public var name: String
  /// 1-based section number and offset in it.
  public var section: UInt16
  public var offset: UInt32
  /// CV_PUBSYMFLAGS: 1 code, 2 function, 4 managed, 8 MSIL.
  public var flags: UInt32
  /// The offset of the record in the symbol record stream.
  public var recordOffset: Int

  public var isFunction: Bool { flags & 2 != 0 }
  public var isCode: Bool { flags & 1 != 0 }

  /// The symbol's RVA, when its section exists.
  public func rva(_ sections: [SectionHeader]) -> UInt32? {
    guard section >= 1, Int(section) <= sections.count else { return nil }
    let (sum, overflow) = sections[Int(section) - 1].virtualAddress.addingReportingOverflow(offset)
    return overflow ? nil : sum
  }

  static let kind: UInt16 = 0x110e

  /// The S_PUB32 record at `offset` of the symbol record stream.
  static func parse(_ records: [UInt8], at offset: Int) throws(ImageFormatError) -> PublicSymbol {
    var r = ByteReader(records, stream: "symbol record stream", offset: offset)
    let length = Int(try r.u16())
    try r.need(length)
    let end = r.offset + length
    let kind = try r.u16()
    guard kind == Self.kind, length >= 12 else {
      throw .malformed(
        stream: "symbol record stream", offset: offset, expected: "an S_PUB32 record (0x110e)",
        found: "kind 0x\(String(kind, radix: 16)), \(length) bytes")
    }
    let flags = try r.u32()
    let off = try r.u32()
    let section = try r.u16()
    var nameReader = ByteReader(Array(records[r.offset..<end]), stream: "symbol record stream", offset: 0)
    let name = (try? nameReader.cString()) ?? String(decoding: records[r.offset..<end], as: UTF8.self)
    return PublicSymbol(name: name, section: section, offset: off, flags: flags, recordOffset: offset)
  }
}

/// The publics stream: a GSI hash over the public records (each entry the record's offset + 1 in the symbol
/// record stream), then an address map. The hash records list every public exactly once.
enum PublicsStream {
  static let stream = "publics stream"
  static let hashSignature: UInt32 = 0xFFFF_FFFF
  static let hashVersion: UInt32 = 0xEFFE_0000 &+ 19_990_810

  static func symbols(publics: [UInt8], records: [UInt8]) throws(ImageFormatError) -> [PublicSymbol] {
    var r = ByteReader(publics, stream: stream)
    let hashSize = Int(try r.u32())
    try r.skip(24)  // address map size, thunks, section count
    try r.need(hashSize)
    var h = ByteReader(try r.take(hashSize), stream: stream + " hash")
    let signature = try h.u32()
    let version = try h.u32()
    guard signature == hashSignature, version == hashVersion else {
      throw .malformed(
        stream: stream, offset: 28, expected: "GSI hash header ffffffff/\(String(hashVersion, radix: 16))",
        found: "\(String(signature, radix: 16))/\(String(version, radix: 16))")
    }
    let recordBytes = Int(try h.u32())
    _ = try h.u32()  // bucket bitmap size
    guard recordBytes % 8 == 0, recordBytes <= h.remaining else {
      throw .malformed(
        stream: stream, offset: 36, expected: "hash records in multiples of 8 within \(h.remaining) bytes",
        found: "\(recordBytes)")
    }
    var out: [PublicSymbol] = []
    out.reserveCapacity(recordBytes / 8)
    for _ in 0..<recordBytes / 8 {
      let at = h.offset
      let plusOne = Int(try h.u32())
      _ = try h.u32()  // reference count
      guard plusOne >= 1, plusOne - 1 < records.count else {
        throw .malformed(
          stream: stream, offset: 28 + at, expected: "a record offset + 1 within 1...\(records.count)",
          found: "\(plusOne)")
      }
      out.append(try PublicSymbol.parse(records, at: plusOne - 1))
    }
    return out
  }
}
