/// One symbol of a module as the target serves it.
public struct SymbolRecord: Sendable, Equatable, Codable {
  public var name: String
  @HexString public var address: UInt32
  public var size: UInt32
  /// Code (`x` shows a function's parameters, `(<no parameter info>)` from public symbols), not data.
  public var isFunction: Bool

  public init(name: String, address: UInt32, size: UInt32, isFunction: Bool = false) {
    self.name = name
    self.address = address
    self.size = size
    self.isFunction = isFunction
  }
}
