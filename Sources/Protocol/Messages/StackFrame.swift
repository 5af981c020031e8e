/// One frame of a stack trace, 32 bytes: what `kb`/`kv` print, from the target's EBP chain.
///
/// `ChildEBP u32 @0, ReturnAddress u32 @4, Args[4] u32 @8, InstructionPointer u32 @24, reserved u32 @28`.
/// InstructionPointer is the frame's current instruction (the symbol `k` prints for it).
public struct StackFrame: Equatable, Sendable {
  public static let size = 32
  public var childEBP: UInt32
  public var returnAddress: UInt32
  public var args: [UInt32]
  public var instructionPointer: UInt32

  public init(childEBP: UInt32, returnAddress: UInt32, args: [UInt32], instructionPointer: UInt32) {
    precondition(args.count == 4, "a frame carries four argument dwords")
    self.childEBP = childEBP
    self.returnAddress = returnAddress
    self.args = args
    self.instructionPointer = instructionPointer
  }

  public init(from r: inout ByteReader) throws(PayloadError) {
    childEBP = try r.u32()
    returnAddress = try r.u32()
    args = [try r.u32(), try r.u32(), try r.u32(), try r.u32()]
    instructionPointer = try r.u32()
    try r.reserved32()
  }

  public func encode(into w: inout ByteWriter) {
    w.u32(childEBP)
    w.u32(returnAddress)
    for arg in args { w.u32(arg) }
    w.u32(instructionPointer)
    w.u32(0)
  }

  static func decodeList(_ r: inout ByteReader, count: Int, countOffset: Int) throws(PayloadError) -> [StackFrame] {
    if count > Limits.maxStackFrames {
      throw .invalidValue(field: "frame count", found: UInt64(count), offset: countOffset)
    }
    if r.remaining < count * size {
      throw .lengthMismatch(field: "frames", expected: count * size, found: r.remaining, offset: r.absoluteOffset)
    }
    var frames: [StackFrame] = []
    frames.reserveCapacity(count)
    for _ in 0..<count { frames.append(try StackFrame(from: &r)) }
    return frames
  }
}
