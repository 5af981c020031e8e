/// One IMAGE_SECTION_HEADER as the PDB keeps it: turns a public's section:offset into an RVA.
public struct SectionHeader: Sendable, Equatable {
  public var name: String
  public var virtualSize: UInt32
  public var virtualAddress: UInt32
  public var characteristics: UInt32

  static let size = 40

  static func parse(_ bytes: [UInt8]) throws(ImageFormatError) -> [SectionHeader] {
    var r = ByteReader(bytes, stream: "section header stream")
    var out: [SectionHeader] = []
    while r.remaining >= size {
      let name = try r.take(8)
      let virtualSize = try r.u32()
      let virtualAddress = try r.u32()
      try r.skip(16 + 4)
      let characteristics = try r.u32()
      out.append(
        SectionHeader(
          name: String(decoding: name.prefix { $0 != 0 }, as: UTF8.self), virtualSize: virtualSize,
          virtualAddress: virtualAddress, characteristics: characteristics))
    }
    return out
  }
}
