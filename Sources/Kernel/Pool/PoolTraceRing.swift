/// Tag tracepoints (ours, `!pooltrace`): matching pool calls appended to a bounded ring as they happen, without
/// halting; the kernel hands the new ones to its host after each slice (``Kernel``), and the ring keeps the last
/// ``capacity`` for a host that was slow to take them (older ones count as dropped).
final class PoolTraceRing {
  static let capacity = 1 << 16

  /// The last filter started (kept after a stop, for the status).
  private(set) var filter: PoolTraceFilter?
  private(set) var isActive = false
  /// The next event's sequence (events logged since the start).
  private(set) var next: UInt64 = 0
  /// The first event not yet handed over.
  private var sent: UInt64 = 0
  private(set) var dropped: UInt64 = 0
  private var slots: [PoolTraceRecord?] = []

  var hasUnsent: Bool { sent != next }
  /// Half the ring waits for the host: the slice should end (not be renewed) so that it is handed over before
  /// the ring overwrites any (a slice's budget is far fewer service calls than half the ring).
  var needsHandover: Bool { next &- sent >= UInt64(Self.capacity / 2) }

  func start(_ filter: PoolTraceFilter) {
    self.filter = filter
    isActive = true
    next = 0
    sent = 0
    dropped = 0
    if slots.isEmpty { slots = Array(repeating: nil, count: Self.capacity) }
  }

  func stop() { isActive = false }

  /// Whether a call of `kind` on `tag` (protected bit stripped; a split tag's own) is logged.
  @inline(__always)
  func matches(tag: UInt32, allocation: Bool) -> Bool {
    guard isActive, let f = filter else { return false }
    return (allocation ? f.allocations : f.frees) && (f.tag == 0 || f.tag == tag)
  }

  /// Appends a matching event; the trace ends by itself when it reaches its limit.
  func append(
    kind: PoolTraceRecord.Kind, tag: UInt32, size: UInt32, address: UInt32, paged: Bool, thread: UInt32,
    time: UInt64, frames: [UInt32]
  ) {
    slots[Int(next % UInt64(Self.capacity))] = PoolTraceRecord(
      sequence: next, kind: kind, tag: tag, size: size, address: address, paged: paged, thread: thread, time: time,
      frames: frames)
    next += 1
    if let limit = filter?.limit, next >= limit { isActive = false }
  }

  /// The events not handed over yet, oldest first (at most the ring's capacity; older ones count as dropped).
  func takeUnsent() -> (records: [PoolTraceRecord], dropped: UInt64) {
    let lost = next - sent > UInt64(Self.capacity) ? next - UInt64(Self.capacity) - sent : 0
    dropped += lost
    let records = (sent + lost..<next).compactMap { slots[Int($0 % UInt64(Self.capacity))] }
    sent = next
    return (records, lost)
  }

  var status: PoolTraceStatus { PoolTraceStatus(active: isActive, filter: filter, logged: next, dropped: dropped) }
}
