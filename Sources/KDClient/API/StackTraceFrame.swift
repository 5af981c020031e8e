/// One frame of a `k` stack trace, for Swift callers (`CommandResult.stackFrames`): `kb`'s columns and the
/// symbol `k` prints for it.
public struct StackTraceFrame: Sendable, Equatable {
  /// The frame's EBP (`ChildEBP`).
  public var childEBP: UInt32
  /// Where the frame returns (`RetAddr`).
  public var returnAddress: UInt32
  /// The first dwords at EBP+8 (`Args to Child`).
  public var args: [UInt32]
  /// Where this frame executes.
  public var instructionPointer: UInt32
  /// `module!function+0xoffset`, as `k` prints it.
  public var symbol: String
}
