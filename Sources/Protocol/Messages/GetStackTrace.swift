/// GetStackTraceApi (0x3170, new): a thread's stack, walked on the target along its EBP chain.
///
/// u: `Thread u32 @16` (0 = current), `MaxFrames u32 @20` (1 to 256), `FrameCount u32 @24` (out).
/// Reply data: FrameCount × ``StackFrame``. One round trip instead of KD's read per frame.
public struct GetStackTrace: ManipulateBody {
  public static let api = ApiNumber.getStackTrace
  public var thread: UInt32
  public var maxFrames: UInt32
  public var frames: [StackFrame]

  public init(thread: UInt32 = 0, maxFrames: UInt32, frames: [StackFrame] = []) {
    self.thread = thread
    self.maxFrames = maxFrames
    self.frames = frames
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    thread = try u.u32()
    let maxAt = u.absoluteOffset
    maxFrames = try u.u32()
    if maxFrames == 0 || maxFrames > UInt32(Limits.maxStackFrames) {
      throw .invalidValue(field: "MaxFrames", found: UInt64(maxFrames), offset: maxAt)
    }
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    frames = try StackFrame.decodeList(&d, count: count, countOffset: countAt)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(thread)
    u.u32(maxFrames)
    u.u32(UInt32(frames.count))
    for frame in frames { frame.encode(into: &d) }
  }
}
