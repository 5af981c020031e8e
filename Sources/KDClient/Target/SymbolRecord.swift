/// One symbol of a module as the target serves it.
public struct SymbolRecord: Sendable, Equatable, Codable {
  public var name: String
  @HexString public var address: UInt32
  public var size: UInt32

  public init(name: String, address: UInt32, size: UInt32) {
    self.name = name
    self.address = address
    self.size = size
  }
}
