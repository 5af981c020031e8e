/// The PDB a module's symbols were read from: its name as the image's CodeView record gives it, and the GUID and
/// age the image and the PDB share.
public struct SymbolFileInfo: Sendable, Equatable {
  public var pdbName: String
  /// 16 bytes, as stored in the PDB info stream.
  public var guid: [UInt8]
  public var age: UInt32
}
