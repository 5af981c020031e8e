/// A leaking call site the target's scenario declares (ours; the ground truth `kd score` grades against).
public struct ScenarioLeakRecord: Sendable, Equatable, Codable {
  /// The function whose ExAllocatePoolWithTag call leaks.
  public var function: UInt32
  public var tag: UInt32
  /// The leaked blocks stay referenced (a growing list) rather than lost.
  public var referenced: Bool
  public var blocksPerSecond: Double
  public var bytesPerSecond: Double

  public init(function: UInt32, tag: UInt32, referenced: Bool, blocksPerSecond: Double, bytesPerSecond: Double) {
    self.function = function
    self.tag = tag
    self.referenced = referenced
    self.blocksPerSecond = blocksPerSecond
    self.bytesPerSecond = bytesPerSecond
  }
}
