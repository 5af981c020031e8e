/// One frame of an EBP-chain walk, read from kernel memory (KD's `ChildEBP RetAddr Args to Child`).
public struct StackFrame: Sendable, Equatable {
  /// The frame's EBP.
  public var childEBP: UInt32
  /// The dword at childEBP+4.
  public var returnAddress: UInt32
  /// The dwords at childEBP+8 ... +0x14 (fewer if unreadable).
  public var args: [UInt32]
  /// Where this frame is executing (eip for frame 0, the previous frame's return address after).
  public var instructionPointer: UInt32

  public init(childEBP: UInt32, returnAddress: UInt32, args: [UInt32], instructionPointer: UInt32) {
    self.childEBP = childEBP
    self.returnAddress = returnAddress
    self.args = args
    self.instructionPointer = instructionPointer
  }
}
