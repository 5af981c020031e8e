/// What this session has received of a tag tracepoint's stream (ours; `!pooltrace`), and how the allocations
/// and frees in it pair up per address.
struct PoolTraceRecording: Sendable {
  /// Most events kept; later ones count as lost (`!pooltrace save` writes what was kept).
  static let maxEvents = 1 << 21

  var events: [PoolTraceEvent] = []
  /// Events logged by the target that this session does not have.
  var lost: UInt64 = 0

  mutating func reset() {
    events = []
    lost = 0
  }

  mutating func absorb(_ taken: (events: [PoolTraceEvent], dropped: UInt64)) {
    lost &+= taken.dropped
    let room = max(0, Self.maxEvents - events.count)
    lost &+= UInt64(max(0, taken.events.count - room))
    events += taken.events.prefix(room)
  }

  /// Events received or known lost: once it reaches the target's count, the stream has been taken in full.
  var accounted: UInt64 { UInt64(events.count) &+ lost }

  struct Pairing: Codable, Sendable, Equatable {
    var allocations = 0
    var frees = 0
    /// Allocations freed later in the trace (same address, in order).
    var paired = 0
    /// Allocations not freed by the end of the trace.
    var outstanding = 0
    /// Frees of blocks allocated before the trace started.
    var freedFromBefore = 0
    /// An allocation at an address still outstanding, or a second free of one: never seen on a sound target.
    var mismatched = 0
  }

  /// Walks the events in order, pairing each free with the allocation outstanding at its address.
  var pairing: Pairing {
    var p = Pairing()
    var live = Set<UInt32>()
    var seen = Set<UInt32>()
    for e in events {
      switch e.kind {
      case .allocation:
        p.allocations += 1
        if !live.insert(e.address).inserted { p.mismatched += 1 }
        seen.insert(e.address)
      case .free:
        p.frees += 1
        if live.remove(e.address) != nil {
          p.paired += 1
        } else if seen.contains(e.address) {
          p.mismatched += 1
        } else {
          p.freedFromBefore += 1
        }
      }
    }
    p.outstanding = live.count
    return p
  }
}
