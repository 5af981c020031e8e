/// One loaded module: `Base u32, Size u32, CheckSum u32, TimeDateStamp u32, NameLength u16, reserved u16,
/// Name (UTF-8, NameLength bytes)`. Name is the image name (`ntoskrnl.exe`, `Abc.sys`).
public struct ModuleEntry: Equatable, Sendable {
  public var base: UInt32
  public var size: UInt32
  public var checksum: UInt32
  public var timestamp: UInt32
  public var name: String

  public init(base: UInt32, size: UInt32, checksum: UInt32, timestamp: UInt32, name: String) {
    self.base = base
    self.size = size
    self.checksum = checksum
    self.timestamp = timestamp
    self.name = name
  }

  public var encodedSize: Int { 20 + name.utf8.count }
}

/// ListModulesApi (0x3172, new): the loaded modules, a page at a time.
///
/// u: `StartIndex u32 @16, MaxEntries u32 @20, TotalCount u32 @24` (out), `ReturnedCount u32 @28` (out).
/// Reply data: ReturnedCount × ``ModuleEntry``. (KD's debugger walks PsLoadedModuleList in memory instead;
/// `kd`'s `.reload` does too. This listing serves tools that want one round trip.)
public struct ListModules: ManipulateBody {
  public static let api = ApiNumber.listModules
  public var startIndex: UInt32
  public var maxEntries: UInt32
  public var totalCount: UInt32
  public var modules: [ModuleEntry]

  public init(startIndex: UInt32 = 0, maxEntries: UInt32, totalCount: UInt32 = 0, modules: [ModuleEntry] = []) {
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    self.totalCount = totalCount
    self.modules = modules
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    startIndex = try u.u32()
    maxEntries = try u.u32()
    totalCount = try u.u32()
    let countAt = u.absoluteOffset
    let returned = Int(try u.u32())
    try u.reserved(u.remaining)
    if returned > Int(maxEntries) {
      throw .lengthMismatch(field: "ReturnedCount", expected: Int(maxEntries), found: returned, offset: countAt)
    }
    var d = d
    modules = []
    for _ in 0..<returned {
      let base = try d.u32()
      let size = try d.u32()
      let checksum = try d.u32()
      let timestamp = try d.u32()
      let nameLength = Int(try d.u16())
      try d.reserved16()
      let name = try d.utf8(nameLength, field: "module name")
      modules.append(ModuleEntry(base: base, size: size, checksum: checksum, timestamp: timestamp, name: name))
    }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(startIndex)
    u.u32(maxEntries)
    u.u32(totalCount)
    u.u32(UInt32(modules.count))
    for m in modules {
      d.u32(m.base)
      d.u32(m.size)
      d.u32(m.checksum)
      d.u32(m.timestamp)
      d.u16(UInt16(m.name.utf8.count))
      d.u16(0)
      d.append(m.name.utf8)
    }
  }
}
