/// The answer to `version()`: what KD prints at connect and what `.reload` starts from.
public struct TargetVersion: Sendable, Equatable, Codable {
  public var kernelBase: UInt32
  public var psLoadedModuleList: UInt32
  /// IMAGE_FILE_MACHINE_I386 = 0x14c.
  public var machine: UInt16
  public var processors: Int
  public var build: UInt32

  public init(kernelBase: UInt32, psLoadedModuleList: UInt32, machine: UInt16 = 0x14c, processors: Int, build: UInt32) {
    self.kernelBase = kernelBase
    self.psLoadedModuleList = psLoadedModuleList
    self.machine = machine
    self.processors = processors
    self.build = build
  }
}
