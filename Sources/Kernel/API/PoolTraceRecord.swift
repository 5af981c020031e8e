/// One pool call a tag tracepoint logged (ours, `!pooltrace`), without halting the target.
public struct PoolTraceRecord: Sendable, Equatable {
  public enum Kind: UInt8, Sendable {
    case allocation = 1
    case free = 2
  }

  /// Consecutive from 0 since the trace started: a gap is an event lost before a host took it.
  public var sequence: UInt64
  public var kind: Kind
  /// The caller's tag (a split tag's own, not its sub-tag), protected bit stripped.
  public var tag: UInt32
  /// Allocation: the bytes asked for. Free: the block's bytes, header included.
  public var size: UInt32
  public var address: UInt32
  public var paged: Bool
  /// The thread id (as `!thread` and ListThreads give it).
  public var thread: UInt32
  /// Virtual time, 100 ns units.
  public var time: UInt64
  /// Return addresses from the call into nt (nt's wrappers skipped), at most 16.
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

/// What a tag tracepoint logs.
public struct PoolTraceFilter: Sendable, Equatable {
  /// 0: every tag.
  public var tag: UInt32
  public var allocations: Bool
  public var frees: Bool
  /// Stop after this many events (nil: no limit).
  public var limit: UInt64?

  public init(tag: UInt32 = 0, allocations: Bool = true, frees: Bool = true, limit: UInt64? = nil) {
    self.tag = tag
    self.allocations = allocations
    self.frees = frees
    self.limit = limit
  }
}

/// A tag tracepoint's state.
public struct PoolTraceStatus: Sendable, Equatable {
  /// Logging now (false before the first start, after a stop, once the limit is reached).
  public var active: Bool
  /// The last filter started (nil: never started).
  public var filter: PoolTraceFilter?
  /// Events logged since the last start: the next event's sequence.
  public var logged: UInt64
  /// Events the ring overwrote before the host took them.
  public var dropped: UInt64

  public init(active: Bool, filter: PoolTraceFilter?, logged: UInt64, dropped: UInt64) {
    self.active = active
    self.filter = filter
    self.logged = logged
    self.dropped = dropped
  }
}
