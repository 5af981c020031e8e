import KDImageFormat

/// A module's symbols from its PDB: the public symbols (functions, globals, the IAT slots lld-link names
/// `__imp__Routine@N`), undecorated as KD shows them, each sized to the next symbol.
enum PDBSymbols {
  static func symbols(of pdb: PDBFile, base: UInt32, imageSize: UInt32) -> [KernelSymbol] {
    // `_DriverEntry@8` and the entry alias lld-link adds, `_DriverEntry`, are one symbol to KD.
    var seen = Set<String>()
    var out: [KernelSymbol] = []
    for p in pdb.publics {
      guard let rva = p.rva(pdb.sections), rva < imageSize else { continue }
      let name = displayName(p.name)
      guard seen.insert("\(rva) \(name)").inserted else { continue }
      out.append(
        KernelSymbol(
          name: name, address: base + rva, size: 0, kind: p.isFunction || p.isCode ? .function : .data,
          isStatic: false))
    }
    return sized(out, end: base + imageSize)
  }

  /// The last component of a CodeView PDB path (`C:\\kd\\Abc.pdb` or `Abc.pdb`: `Abc.pdb`).
  static func fileName(_ path: String) -> String {
    path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? ""
  }

  /// KD's names: `_Name@12` is `Name`, a string literal's `??_C@...` is `` `string' ``.
  static func displayName(_ decorated: String) -> String {
    decorated.hasPrefix("??_C@") ? "`string'" : LoadedModule.undecorate(decorated)
  }

  /// Sorted by address, each running to the next one (the last to `end`).
  static func sized(_ symbols: [KernelSymbol], end: UInt32) -> [KernelSymbol] {
    var s = symbols.sorted { ($0.address, $0.name) < ($1.address, $1.name) }
    for i in s.indices {
      let next = s[(i + 1)...].first { $0.address > s[i].address }?.address ?? end
      s[i].size = next > s[i].address ? next - s[i].address : 0
    }
    return s
  }
}
