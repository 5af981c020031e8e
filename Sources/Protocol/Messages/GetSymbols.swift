/// One symbol: `Address u32, Size u32, Kind u8 (0 function, 1 data), reserved u8, NameLength u16,
/// Name (UTF-8, undecorated: "ExAllocatePoolWithTag", not "_ExAllocatePoolWithTag@12")`.
public struct SymbolEntry: Equatable, Sendable {
  public enum Kind: UInt8, Sendable { case function = 0, data = 1 }
  public var address: UInt32
  public var size: UInt32
  public var kind: Kind
  public var name: String

  public init(address: UInt32, size: UInt32, kind: Kind, name: String) {
    self.address = address
    self.size = size
    self.kind = kind
    self.name = name
  }

  public var encodedSize: Int { 12 + name.utf8.count }
}

/// GetSymbolsApi (0x3174, new): a module's symbol table, a page at a time, so `.reload` needs no symbol files
/// on the debugger's disk.
///
/// u: `ModuleBase u64 @16, StartIndex u32 @24, MaxEntries u32 @28, TotalCount u32 @32` (out),
/// `ReturnedCount u32 @36` (out). Reply data: ReturnedCount × ``SymbolEntry``. The server returns as many
/// entries as fit the negotiated payload; the client asks again from StartIndex + ReturnedCount.
/// No module at ModuleBase: STATUS_INVALID_PARAMETER.
public struct GetSymbols: ManipulateBody {
  public static let api = ApiNumber.getSymbols
  public var moduleBase: UInt64
  public var startIndex: UInt32
  public var maxEntries: UInt32
  public var totalCount: UInt32
  public var symbols: [SymbolEntry]

  public init(
    moduleBase: UInt64, startIndex: UInt32 = 0, maxEntries: UInt32, totalCount: UInt32 = 0, symbols: [SymbolEntry] = []
  ) {
    self.moduleBase = moduleBase
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    self.totalCount = totalCount
    self.symbols = symbols
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    moduleBase = try u.u64()
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
    symbols = []
    for _ in 0..<returned {
      let address = try d.u32()
      let size = try d.u32()
      let kindAt = d.absoluteOffset
      let rawKind = try d.u8()
      guard let kind = SymbolEntry.Kind(rawValue: rawKind) else {
        throw .invalidValue(field: "symbol kind", found: UInt64(rawKind), offset: kindAt)
      }
      try d.reserved(1)
      let nameLength = Int(try d.u16())
      let name = try d.utf8(nameLength, field: "symbol name")
      symbols.append(SymbolEntry(address: address, size: size, kind: kind, name: name))
    }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(moduleBase)
    u.u32(startIndex)
    u.u32(maxEntries)
    u.u32(totalCount)
    u.u32(UInt32(symbols.count))
    for s in symbols {
      d.u32(s.address)
      d.u32(s.size)
      d.u8(s.kind.rawValue)
      d.u8(0)
      d.u16(UInt16(s.name.utf8.count))
      d.append(s.name.utf8)
    }
  }
}
