/// A POOL_TRACE payload (packet type 0x24, new; server → subscribed client): consecutive tag tracepoint events.
///
/// `FirstSequence u64 @0, Count u32 @8, Dropped u32 @12` (events this session did not get just before this
/// packet: overwritten in the server's ring, or skipped while the client did not read), then Count × event
/// (28 + 4 × FrameCount bytes): `Time u64 @0` (virtual, 100 ns units), `Address u32 @8`, `Size u32 @12`
/// (allocation: bytes asked for; free: the block's bytes, header included), `Tag u32 @16`, `Thread u32 @20`,
/// `Kind u8 @24` (1 allocation, 2 free), `Pool u8 @25` (0 nonpaged, 1 paged), `FrameCount u16 @26` (at most 16),
/// `Frames` FrameCount × u32 (return addresses from the call into nt). Event i has sequence FirstSequence + i.
public struct PoolTraceEvents: Equatable, Sendable {
  public struct Event: Equatable, Sendable {
    public static let fixedSize = 28
    public var time: UInt64
    public var address: UInt32
    public var size: UInt32
    public var tag: UInt32
    public var thread: UInt32
    /// 1 allocation, 2 free.
    public var kind: UInt8
    public var paged: Bool
    public var frames: [UInt32]

    public init(
      time: UInt64, address: UInt32, size: UInt32, tag: UInt32, thread: UInt32, kind: UInt8, paged: Bool,
      frames: [UInt32]
    ) {
      self.time = time
      self.address = address
      self.size = size
      self.tag = tag
      self.thread = thread
      self.kind = kind
      self.paged = paged
      self.frames = frames
    }

    public var encodedSize: Int { Self.fixedSize + 4 * frames.count }
  }

  public static let headerSize = 16
  public var firstSequence: UInt64
  public var dropped: UInt32
  public var events: [Event]

  public init(firstSequence: UInt64, dropped: UInt32 = 0, events: [Event]) {
    self.firstSequence = firstSequence
    self.dropped = dropped
    self.events = events
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    firstSequence = try r.u64()
    let count = Int(try r.u32())
    dropped = try r.u32()
    if count * Event.fixedSize > r.remaining {
      throw .lengthMismatch(
        field: "Count", expected: count * Event.fixedSize, found: r.remaining, offset: Frame.headerSize + 8)
    }
    events = []
    events.reserveCapacity(count)
    for _ in 0..<count {
      let time = try r.u64()
      let address = try r.u32()
      let size = try r.u32()
      let tag = try r.u32()
      let thread = try r.u32()
      let kindAt = r.absoluteOffset
      let kind = try r.u8()
      if kind != 1 && kind != 2 { throw .invalidValue(field: "Kind", found: UInt64(kind), offset: kindAt) }
      let poolAt = r.absoluteOffset
      let pool = try r.u8()
      if pool > 1 { throw .invalidValue(field: "Pool", found: UInt64(pool), offset: poolAt) }
      let framesAt = r.absoluteOffset
      let frameCount = Int(try r.u16())
      if frameCount > Limits.maxPoolSiteFrames {
        throw .invalidValue(field: "FrameCount", found: UInt64(frameCount), offset: framesAt)
      }
      try r.require(4 * frameCount)
      var frames: [UInt32] = []
      for _ in 0..<frameCount { frames.append(try r.u32()) }
      events.append(
        Event(
          time: time, address: address, size: size, tag: tag, thread: thread, kind: kind, paged: pool == 1,
          frames: frames))
    }
    try r.expectEnd()
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: Self.headerSize + events.reduce(0) { $0 + $1.encodedSize })
    w.u64(firstSequence)
    w.u32(UInt32(events.count))
    w.u32(dropped)
    for e in events {
      w.u64(e.time)
      w.u32(e.address)
      w.u32(e.size)
      w.u32(e.tag)
      w.u32(e.thread)
      w.u8(e.kind)
      w.u8(e.paged ? 1 : 0)
      w.u16(UInt16(e.frames.count))
      for f in e.frames { w.u32(f) }
    }
    return w.bytes
  }
}
