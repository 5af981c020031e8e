/// GetSymbolFileApi (0x31A0, new): where a module's symbols come from, so `lm` can say `(pdb symbols)` and name
/// the PDB as KD does while the symbols themselves still come over the wire (``GetSymbols``): the debugger needs
/// no file on its disk.
///
/// u: `ModuleBase u64 @16, Kind u32 @24` (out: 0 no symbols, 1 export symbols, 2 PDB public symbols),
/// `Age u32 @28` (out), `Guid 16 bytes @32` (out, as stored in the PDB info stream), `NameLength u32 @48` (out).
/// Reply data: the PDB's name as the image's CodeView record gives it (UTF-8, NameLength bytes; empty unless Kind
/// is 2). No module at ModuleBase: STATUS_INVALID_PARAMETER.
public struct GetSymbolFile: ManipulateBody {
  public enum Kind: UInt32, Sendable { case none = 0, exports = 1, pdb = 2 }
  public static let api = ApiNumber.getSymbolFile
  public var moduleBase: UInt64
  public var kind: Kind
  public var age: UInt32
  /// Always 16 bytes (zero-filled when shorter at init).
  public var guid: [UInt8]
  public var pdbName: String

  public init(moduleBase: UInt64, kind: Kind = .none, age: UInt32 = 0, guid: [UInt8] = [], pdbName: String = "") {
    self.moduleBase = moduleBase
    self.kind = kind
    self.age = age
    self.guid = Array(guid.prefix(16)) + [UInt8](repeating: 0, count: max(0, 16 - guid.count))
    self.pdbName = pdbName
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    moduleBase = try u.u64()
    kind = try u.enum32(Kind.self, field: "symbol file kind")
    age = try u.u32()
    guid = try u.bytes(16)
    let lengthAt = u.absoluteOffset
    let length = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    guard length == d.remaining else {
      throw .lengthMismatch(field: "NameLength", expected: d.remaining, found: length, offset: lengthAt)
    }
    pdbName = try d.utf8(length, field: "PDB name")
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(moduleBase)
    u.u32(kind.rawValue)
    u.u32(age)
    u.append(guid)
    u.u32(UInt32(pdbName.utf8.count))
    d.append(pdbName.utf8)
  }
}
