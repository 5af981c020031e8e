/// The session's modules and their symbols: name lookup (case-insensitive), nearest symbol,
/// wildcard listing. Symbols are fetched from the target lazily per module and cached.
public struct SymbolTable: Sendable {
  public private(set) var modules: [Module] = []

  public init(modules: [Module] = []) {
    self.modules = modules.sorted { $0.base < $1.base }
  }

  public func module(named name: String) -> Module? {
    modules.first { $0.name.caseInsensitiveEquals(name) }
      ?? modules.first { $0.imageName.caseInsensitiveEquals(name) }
  }

  public func module(containing address: UInt32) -> Module? {
    modules.first { $0.contains(address) }
  }

  func index(ofModuleNamed name: String) -> Int? {
    modules.firstIndex { $0.name.caseInsensitiveEquals(name) }
  }

  mutating func setSymbols(_ symbols: [SymbolRecord], from file: SymbolFileRecord?, forModuleAt index: Int) {
    modules[index].symbols = symbols.sorted { $0.address < $1.address }
    modules[index].symbolFile = file
  }

  /// A symbol's address within one module, case-insensitive; nil when absent.
  public static func lookup(_ name: String, in module: Module) -> SymbolRecord? {
    module.symbols?.first { $0.name.caseInsensitiveEquals(name) }
  }

  /// `module!func+0xoff` for an address with loaded symbols, `module+0xoff` without, nil outside modules.
  public func describe(_ address: UInt32) -> String? {
    guard let near = nearest(address) else { return nil }
    return near.text
  }

  /// The symbol at or before `address` (and the next one after it, for `ln`).
  func nearest(_ address: UInt32) -> (text: String, symbol: SymbolRecord?, next: SymbolRecord?, module: Module)? {
    guard let module = module(containing: address) else { return nil }
    let symbols = module.symbols ?? []
    var before: SymbolRecord?
    var after: SymbolRecord?
    for s in symbols {
      if s.address <= address { before = s } else if after == nil { after = s }
    }
    if let before {
      let off = address &- before.address
      return (Self.spell(module.name, before.name, off), before, after, module)
    }
    return (Self.spell(module.name, nil, address &- module.base), nil, after, module)
  }

  static func spell(_ module: String, _ symbol: String?, _ offset: UInt32) -> String {
    var s = module
    if let symbol { s += "!" + symbol }
    if offset != 0 { s += "+0x" + String(offset, radix: 16) }
    return s
  }
}

extension String {
  func caseInsensitiveEquals(_ other: String) -> Bool {
    count == other.count && lowercased() == other.lowercased()
  }
}
