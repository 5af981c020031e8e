import Foundation
import KDKernel

/// Whether a tag tracepoint on every tag (ours, `!pooltrace start`) logged every pool call: the events the kernel
/// handed over against the kernel's own counts (every nt!PoolTrackTable entry's allocations and frees, read on
/// the kernel thread in the same request that started, and in the one that stopped, the trace), and each free
/// paired with a traced allocation at the same address.
struct TraceCompleteness {
  /// Allocations plus frees nt!PoolTrackTable counted while the trace ran.
  var kernelCalls: UInt64
  /// Events the trace logged (its status) and the events handed over.
  var logged: UInt64
  var received: UInt64
  /// Events the ring overwrote before they were handed over, and gaps in the sequence numbers received.
  var dropped: UInt64
  var gaps: UInt64
  var allocations: UInt64
  var frees: UInt64
  /// Frees whose address had a traced allocation not yet freed.
  var pairedFrees: UInt64
  /// Frees of blocks allocated before the trace started (no traced allocation at that address).
  var olderFrees: UInt64
  /// Allocations at an address already allocated and not freed in the trace (a pairing error).
  var doubleAllocations: UInt64

  /// Collects what the kernel hands over, on the kernel thread; analysed once the trace has stopped.
  final class Collector: @unchecked Sendable {
    // @unchecked Sendable: `batches` and `dropped` are only touched with `lock` held.
    private let lock = NSLock()
    private var batches: [[PoolTraceRecord]] = []
    private var dropped: UInt64 = 0

    func take(_ event: KernelEvent) {
      guard case .poolTrace(let records, let lost) = event else { return }
      lock.lock()
      batches.append(records)
      dropped &+= lost
      lock.unlock()
    }

    func drain() -> ([PoolTraceRecord], UInt64) {
      lock.lock()
      defer { lock.unlock() }
      return (batches.flatMap { $0 }, dropped)
    }
  }

  init(kernelCalls: UInt64, logged: UInt64, records: [PoolTraceRecord], dropped: UInt64) {
    self.kernelCalls = kernelCalls
    self.logged = logged
    received = UInt64(records.count)
    self.dropped = dropped
    gaps = 0
    allocations = 0
    frees = 0
    pairedFrees = 0
    olderFrees = 0
    doubleAllocations = 0
    var expected: UInt64 = 0
    var live = Set<UInt32>()
    for r in records {
      if r.sequence != expected { gaps += 1 }
      expected = r.sequence &+ 1
      switch r.kind {
      case .allocation:
        allocations += 1
        if !live.insert(r.address).inserted { doubleAllocations += 1 }
      case .free:
        frees += 1
        if live.remove(r.address) != nil { pairedFrees += 1 } else { olderFrees += 1 }
      }
    }
  }

  /// Complete: every pool call the kernel counted was logged and handed over, nothing lost, pairs consistent.
  var complete: Bool {
    kernelCalls == logged && logged == received && dropped == 0 && gaps == 0 && doubleAllocations == 0
  }
}
