/// One allocating call site in a ``GetPoolSites`` reply, 44 bytes plus its frames and history:
///
/// `CallSite u32 @0, Tag u32 @4, SubTag u32 @8, OutstandingBlocks u32 @12, OutstandingBytes u64 @16,
/// Allocations u64 @24, Frees u64 @32, FrameCount u16 @40, reserved u16 @42, Frames FrameCount × u32,
/// History SampleCount × u32` (SampleCount from the reply's union). CallSite 0: nt's own allocations and sites
/// beyond the server's table, per tag. SubTag 0: the site's tag is not split.
public struct PoolSiteEntry: Equatable, Sendable {
  public static let fixedSize = 44
  public var callSite: UInt32
  public var tag: UInt32
  public var subTag: UInt32
  public var outstandingBlocks: UInt32
  public var outstandingBytes: UInt64
  public var allocations: UInt64
  public var frees: UInt64
  /// Return addresses, the call site first (at most ``Limits/maxPoolSiteFrames``).
  public var frames: [UInt32]
  /// Outstanding blocks at each of the reply's samples.
  public var history: [UInt32]

  public init(
    callSite: UInt32, tag: UInt32, subTag: UInt32 = 0, outstandingBlocks: UInt32, outstandingBytes: UInt64,
    allocations: UInt64, frees: UInt64, frames: [UInt32], history: [UInt32]
  ) {
    self.callSite = callSite
    self.tag = tag
    self.subTag = subTag
    self.outstandingBlocks = outstandingBlocks
    self.outstandingBytes = outstandingBytes
    self.allocations = allocations
    self.frees = frees
    self.frames = frames
    self.history = history
  }

  public var encodedSize: Int { Self.fixedSize + 4 * (frames.count + history.count) }

  init(from r: inout ByteReader, samples: Int) throws(PayloadError) {
    callSite = try r.u32()
    tag = try r.u32()
    subTag = try r.u32()
    outstandingBlocks = try r.u32()
    outstandingBytes = try r.u64()
    allocations = try r.u64()
    frees = try r.u64()
    let countAt = r.absoluteOffset
    let frameCount = Int(try r.u16())
    try r.reserved16()
    if frameCount > Limits.maxPoolSiteFrames {
      throw .invalidValue(field: "FrameCount", found: UInt64(frameCount), offset: countAt)
    }
    try r.require(4 * (frameCount + samples))
    frames = []
    for _ in 0..<frameCount { frames.append(try r.u32()) }
    history = []
    for _ in 0..<samples { history.append(try r.u32()) }
  }

  func encode(into w: inout ByteWriter) {
    w.u32(callSite)
    w.u32(tag)
    w.u32(subTag)
    w.u32(outstandingBlocks)
    w.u64(outstandingBytes)
    w.u64(allocations)
    w.u64(frees)
    w.u16(UInt16(frames.count))
    w.u16(0)
    for f in frames { w.u32(f) }
    for h in history { w.u32(h) }
  }
}
