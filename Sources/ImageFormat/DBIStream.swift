/// Stream 3, the debug information stream: where the publics, the symbol records and the section headers are,
/// the machine, and the modules (object files) the image was linked from.
public struct DBIStream: Sendable, Equatable {
  public struct Module: Sendable, Equatable {
    public var name: String
    public var objectFile: String
    /// The module's own symbol stream (nil when it has none).
    public var symbolStream: Int?
  }

  public var age: UInt32
  public var globalsStream: Int?
  public var publicsStream: Int?
  public var symbolRecordStream: Int?
  /// IMAGE_FILE_MACHINE_*: 0x14c for x86.
  public var machine: UInt16
  public var modules: [Module]
  /// The stream holding the image's IMAGE_SECTION_HEADERs (optional debug header entry 5).
  public var sectionHeaderStream: Int?

  static let stream = "DBI stream"

  init(_ bytes: [UInt8]) throws(ImageFormatError) {
    var r = ByteReader(bytes, stream: Self.stream)
    let signature = try r.i32()
    guard signature == -1 else {
      throw .malformed(
        stream: Self.stream, offset: 0, expected: "version signature -1 (a V70 DBI header)", found: "\(signature)")
    }
    _ = try r.u32()  // version header (19990903)
    age = try r.u32()
    globalsStream = Self.index(try r.u16())
    _ = try r.u16()  // build number
    publicsStream = Self.index(try r.u16())
    _ = try r.u16()  // mspdb DLL version
    symbolRecordStream = Self.index(try r.u16())
    _ = try r.u16()  // mspdb DLL rebuild
    var sizes: [Int] = []
    let names = ["module info", "section contributions", "section map", "source info", "type server map"]
    for name in names { sizes.append(try Self.size(&r, name)) }
    _ = try r.u32()  // MFC type server index
    let optionalHeaderSize = try Self.size(&r, "optional debug header")
    let ecSize = try Self.size(&r, "EC substream")
    _ = try r.u16()  // flags
    machine = try r.u16()
    _ = try r.u32()

    // Substreams, in file order: module info, section contributions, section map, source info, type server map,
    // EC, optional debug header.
    let moduleInfo = try r.take(sizes[0])
    try r.skip(sizes[1] + sizes[2] + sizes[3] + sizes[4] + ecSize)
    var optional = ByteReader(try r.take(optionalHeaderSize), stream: Self.stream + " optional debug header")
    modules = try Self.modules(moduleInfo)
    var headers: [Int?] = []
    while optional.remaining >= 2 { headers.append(Self.index(try optional.u16())) }
    sectionHeaderStream = headers.count > 5 ? headers[5] : nil
  }

  private static func index(_ v: UInt16) -> Int? { v == 0xFFFF ? nil : Int(v) }

  private static func size(_ r: inout ByteReader, _ name: String) throws(ImageFormatError) -> Int {
    let at = r.offset
    let v = try r.i32()
    guard v >= 0 else {
      throw .malformed(stream: stream, offset: at, expected: "a size for the \(name) substream", found: "\(v)")
    }
    return Int(v)
  }

  private static func modules(_ bytes: [UInt8]) throws(ImageFormatError) -> [Module] {
    var r = ByteReader(bytes, stream: stream + " module info")
    var out: [Module] = []
    while r.remaining >= 64 {
      try r.skip(4 + 28 + 2)  // unused, section contribution, flags
      let symbols = index(try r.u16())
      try r.skip(4 + 4 + 4 + 2 + 2 + 4 + 4 + 4)
      let name = try r.cString()
      let object = try r.cString()
      r.align(4)
      out.append(Module(name: name, objectFile: object, symbolStream: symbols))
    }
    return out
  }
}
