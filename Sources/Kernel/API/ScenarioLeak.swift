/// A leaking call site a scenario declares in its manifest (ours: the ground truth `kd score` grades against).
public struct ScenarioLeak: Sendable, Equatable {
  /// The module and the undecorated function whose ExAllocatePoolWithTag call leaks, and that function's address.
  public var module: String
  public var symbol: String
  public var address: UInt32
  /// The tag in memory order (the first character in the low byte), protected bit clear.
  public var tag: UInt32
  public var blocksPerSecond: Double
  public var bytesPerSecond: Double
  /// The leaked blocks stay reachable (a growing list) rather than lost.
  public var referenced: Bool

  public init(
    module: String, symbol: String, address: UInt32, tag: UInt32, blocksPerSecond: Double, bytesPerSecond: Double,
    referenced: Bool
  ) {
    self.module = module
    self.symbol = symbol
    self.address = address
    self.tag = tag
    self.blocksPerSecond = blocksPerSecond
    self.bytesPerSecond = bytesPerSecond
    self.referenced = referenced
  }
}
