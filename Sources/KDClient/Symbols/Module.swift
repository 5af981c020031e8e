/// A loaded module as `.reload` found it in the target's PsLoadedModuleList.
public struct Module: Sendable, Equatable, Codable {
  /// KD's module name: the image name without extension, `nt` for the kernel.
  public var name: String
  public var imageName: String
  public var fullPath: String
  @HexString public var base: UInt32
  public var size: UInt32
  public var checkSum: UInt32
  public var timeDateStamp: UInt32
  /// nil until loaded (lazily on first use, or at once with `.reload /f`).
  public var symbols: [SymbolRecord]?
  /// The PDB the symbols came from (nil: export symbols, or not loaded yet).
  public var symbolFile: SymbolFileRecord?

  public var end: UInt32 { base &+ size }

  public func contains(_ address: UInt32) -> Bool { address >= base && address &- base < size }

  /// KD's module name for an image name: kernel images are `nt`, others drop their extension.
  static func moduleName(forImage image: String) -> String {
    let lower = image.lowercased()
    if ["ntoskrnl.exe", "ntkrnlpa.exe", "ntkrnlmp.exe", "ntkrpamp.exe"].contains(lower) { return "nt" }
    if let dot = image.lastIndex(of: ".") { return String(image[..<dot]) }
    return image
  }
}
