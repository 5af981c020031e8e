/// One x86 frame as `kb` shows it: the frame's EBP, where it returns, the first dwords at EBP+8.
public struct StackFrame: Sendable, Equatable, Codable {
  @HexString public var childEBP: UInt32
  @HexString public var returnAddress: UInt32
  /// Three (or four) dwords from EBP+8 on.
  @HexString public var args: [UInt32]
  /// Where this frame executes: the symbol `k` prints.
  @HexString public var instructionPointer: UInt32

  public init(childEBP: UInt32, returnAddress: UInt32, args: [UInt32], instructionPointer: UInt32) {
    self.childEBP = childEBP
    self.returnAddress = returnAddress
    self.args = args
    self.instructionPointer = instructionPointer
  }
}
