/// One pool call a tag tracepoint logged on the target, without halting it (ours; `!pooltrace`).
public struct PoolTraceEvent: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Codable {
    case allocation, free
  }
  /// Consecutive from 0 since the trace started; a gap is events lost on the way.
  public var sequence: UInt64
  public var kind: Kind
  @TagString public var tag: UInt32
  /// Allocation: bytes asked for; free: the block's bytes, header included.
  public var size: UInt32
  @HexString public var address: UInt32
  public var paged: Bool
  @HexString public var thread: UInt32
  /// Virtual time, 100 ns units.
  public var time: UInt64
  /// Return addresses from the call into nt.
  public var frames: [UInt32]

  public init(
    sequence: UInt64, kind: Kind, tag: UInt32, size: UInt32, address: UInt32, paged: Bool, thread: UInt32,
    time: UInt64, frames: [UInt32]
  ) {
    self.sequence = sequence
    self.kind = kind
    self.tag = tag
    self.size = size
    self.address = address
    self.paged = paged
    self.thread = thread
    self.time = time
    self.frames = frames
  }
}

/// A tag tracepoint's state on the target.
public struct PoolTraceState: Sendable, Equatable, Codable {
  public var active: Bool
  /// 0: every tag.
  @TagString public var tag: UInt32
  public var allocations: Bool
  public var frees: Bool
  /// 0: no limit.
  public var limit: UInt32
  /// Events logged since the start (the next one's sequence).
  public var logged: UInt64
  /// Events the target's ring overwrote before it could send them.
  public var dropped: UInt64

  public init(
    active: Bool, tag: UInt32, allocations: Bool, frees: Bool, limit: UInt32, logged: UInt64, dropped: UInt64
  ) {
    self.active = active
    self.tag = tag
    self.allocations = allocations
    self.frees = frees
    self.limit = limit
    self.logged = logged
    self.dropped = dropped
  }
}

/// What `poolTrace` asks of the target.
public enum PoolTraceOperation: Sendable {
  case status
  /// Tag 0: every tag; limit 0: none.
  case start(tag: UInt32, allocations: Bool, frees: Bool, limit: UInt32)
  case stop
}
