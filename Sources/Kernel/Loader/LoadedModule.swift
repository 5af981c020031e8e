/// A module mapped into the kernel's address space, with its symbols.
struct LoadedModule {
  var name: String
  var imageName: String
  var base: UInt32
  var size: UInt32
  var checksum: UInt32
  var timestamp: UInt32
  var entryPoint: UInt32
  var symbols: [KernelSymbol]
  var ldrEntry: UInt32 = 0
  /// The PDB the symbols came from; nil when they are the exports (or nt's own table).
  var symbolFile: SymbolFileInfo?
  /// The DRIVER_OBJECT nt passed to DriverEntry (0 for nt itself).
  var driverObject: UInt32 = 0

  var info: ModuleInfo {
    ModuleInfo(
      name: name, imageName: imageName, base: base, size: size, checksum: checksum, timestamp: timestamp,
      ldrEntry: ldrEntry)
  }

  /// "_Name@12" -> "Name", "_Name" -> "Name", "@Name@8" -> "Name"; C++ names stay as they are.
  static func undecorate(_ name: String) -> String {
    var s = Substring(name)
    if s.hasPrefix("?") { return name }
    if s.hasPrefix("_") || s.hasPrefix("@") { s = s.dropFirst() }
    if let at = s.lastIndex(of: "@"), s[s.index(after: at)...].allSatisfy(\.isNumber), at != s.startIndex {
      s = s[..<at]
    }
    return String(s)
  }
}
