/// Where a module's symbols come from, as the target says (GetSymbolFile): its PDB (by the name the image's
/// CodeView record gives, with the GUID and age they share), or nil for its export table.
public struct SymbolFileRecord: Sendable, Equatable, Codable {
  public var pdbName: String
  public var guid: [UInt8]
  public var age: UInt32

  public init(pdbName: String, guid: [UInt8], age: UInt32) {
    self.pdbName = pdbName
    self.guid = guid
    self.age = age
  }
}
