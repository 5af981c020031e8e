import Foundation
import KDKernel

/// The simulated kernel alone, in this process (no server): the `bench` scenario's loops with PoolHitTag armed
/// on a tag they never allocate vs disarmed, and pool allocate+free pairs vs glibc malloc+free.
final class KernelBench {
  /// Instructions per iteration, counted from the disassembly of Bnch.sys and the nt stubs (docs/BENCHMARKS.md):
  /// spin: mov/cmp/jne/inc/jmp; pool: the worker loop, BnchAllocate, BnchRelease and both pool stubs on their
  /// PoolHitTag-miss path (10 instructions each, `int 2Eh` counted as one).
  static let spinInstructions = 5.0
  static let poolInstructions = 46.0
  /// PoolHitTag armed on a miss ('Miss', no driver allocates it) and disarmed (the boot value).
  static let armedTag: UInt32 = 0x7373_694d
  static let disarmedTag: UInt32 = 0xffff_ff0f

  private let kernel: Kernel
  private let mode: UInt32, count: UInt32, poolHitTag: UInt32
  /// nt!PoolTrackTable (a pointer) and nt!PoolTrackTableSize (entries).
  private let trackTable: UInt32, trackTableSize: UInt32
  private let collector = TraceCompleteness.Collector()
  private var traceStartCalls: UInt64 = 0

  /// `siteTracking`: the kernel's per-call-site count (ours, `!poolsites`), on by default.
  init(siteTracking: Bool = true) throws {
    // Pace 0: at pace 1 a long spin (preempted slices cost a virtual quantum each) runs virtual time ahead of
    // the wall clock, and the worker's 1 ms idle sleep between modes then waits for the wall clock to catch up.
    kernel = try Kernel(
      configuration: KernelConfiguration(scenario: "bench", pace: 0, poolSiteTracking: siteTracking))
    kernel.start()
    usleep(100_000)
    (mode, count, poolHitTag, trackTable, trackTableSize) = try kernel.sync { kc throws(KernelError) in
      let modules = kc.modules()
      func symbol(_ module: String, _ name: String) -> UInt32 {
        guard let m = modules.first(where: { $0.name == module }),
          let s = kc.symbols(moduleBase: m.base)?.first(where: { $0.name == name })
        else { fatalError("the bench scenario has no \(module)!\(name)") }
        return s.address
      }
      return (
        symbol("Bnch", "BnchMode"), symbol("Bnch", "BnchCount"), symbol("nt", "PoolHitTag"),
        symbol("nt", "PoolTrackTable"), symbol("nt", "PoolTrackTableSize")
      )
    }
  }

  deinit { kernel.shutdown() }

  /// Starts a tag tracepoint on every tag, allocations and frees (ours, `!pooltrace start`): each pool call is
  /// logged with its stack and handed over after each slice, to a collector that only keeps the batches (the
  /// cost measured is the kernel's). The kernel's own call count is read in the same request.
  func traceEveryTag() throws {
    kernel.setEventHandler { [collector] in collector.take($0) }
    let (table, size) = (trackTable, trackTableSize)
    traceStartCalls = try kernel.sync { kc in
      _ = kc.startPoolTrace(PoolTraceFilter())
      return Self.poolCalls(kc, table: table, size: size)
    }
  }

  /// Stops the trace and checks what it handed over against the kernel's count since `traceEveryTag`.
  func traceCompleteness() throws -> TraceCompleteness {
    let (table, size) = (trackTable, trackTableSize)
    let (logged, calls) = try kernel.sync { kc in
      (kc.stopPoolTrace().logged, Self.poolCalls(kc, table: table, size: size))
    }
    let (records, dropped) = collector.drain()
    return TraceCompleteness(
      kernelCalls: calls &- traceStartCalls, logged: logged, records: records, dropped: dropped)
  }

  /// Allocations plus frees of every tag in nt!PoolTrackTable (x86 POOL_TRACKER_TABLE: Key, NonPagedAllocs,
  /// NonPagedFrees, NonPagedBytes, PagedAllocs, PagedFrees, PagedBytes), read on the kernel thread.
  private static func poolCalls(_ kc: KernelControl, table: UInt32, size: UInt32) -> UInt64 {
    func u32(_ address: UInt32) -> UInt32 {
      kc.readVirtual(address, count: 4).bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    let base = u32(table)
    let entries = u32(size)
    let bytes = kc.readVirtual(base, count: Int(entries) * 28).bytes
    var total: UInt64 = 0
    for e in stride(from: 0, to: bytes.count - 27, by: 28) {
      for field in [4, 8, 16, 20] {
        total &+= UInt64(bytes[e + field..<e + field + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
      }
    }
    return total
  }

  private func write(_ address: UInt32, _ value: UInt32) throws {
    _ = try kernel.sync { kc in kc.writeVirtual(address, withUnsafeBytes(of: value.littleEndian) { Array($0) }) }
  }

  private func readCount() throws -> UInt32 {
    let bytes = try kernel.sync { kc in kc.readVirtual(count, count: 4).bytes }
    return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }

  /// Halts the target (its kernel thread then parks), so that a kernel not being measured takes no CPU from the
  /// one that is: at pace 0 an idle target's clock jumps from sleep to sleep and its thread never rests.
  func pause() throws {
    _ = kernel.breakIn()
    for _ in 0..<1000 {
      if case .halted = try kernel.sync({ kc in kc.runState }) { return }
      usleep(1000)
    }
    throw BenchError.failed("the kernel did not halt within a second")
  }

  /// Lets a paused target run again.
  func proceed() throws {
    try kernel.sync { kc throws(KernelError) in try kc.resume(singleStep: false) }
  }

  /// Loop iterations per second of `workload` over `seconds` (after a short warm-up).
  func iterationsPerSecond(_ workload: BenchMode, tag: UInt32, seconds: Double) throws -> Double {
    try write(poolHitTag, tag)
    try write(mode, workload.rawValue)
    usleep(100_000)
    let c0 = try readCount()
    let t0 = ContinuousClock.now
    usleep(UInt32(seconds * 1e6))
    let c1 = try readCount()
    let elapsed = (ContinuousClock.now - t0).seconds
    try write(mode, BenchMode.idle.rawValue)
    guard c1 != c0 else {
      let state = try kernel.sync { kc in
        "\(kc.runState); threads \(kc.threads().map { "\($0.id):\($0.state)@\(String($0.pc, radix: 16))" })"
      }
      throw BenchError.failed("the \(workload) loop made no progress in \(elapsed) s: \(state)")
    }
    return Double(c1 &- c0) / elapsed
  }

  /// Armed and disarmed, `rounds` times each in ABBA order; the medians (armed, disarmed).
  func armedVersusDisarmed(_ workload: BenchMode, rounds: Int, seconds: Double) throws -> (Double, Double) {
    var armed: [Double] = []
    var disarmed: [Double] = []
    for round in 0..<rounds * 2 {  // ABBA order, so neither side always runs first
      if round % 4 == 0 || round % 4 == 3 {
        armed.append(try iterationsPerSecond(workload, tag: Self.armedTag, seconds: seconds))
      } else {
        disarmed.append(try iterationsPerSecond(workload, tag: Self.disarmedTag, seconds: seconds))
      }
    }
    return (Measure.quantile(armed.sorted(), 0.5), Measure.quantile(disarmed.sorted(), 0.5))
  }

  /// The reachability scan (ours, `!poolscan`) with `live` 8-byte `Bliv` blocks in use (the driver keeps no pointer
  /// to them: every one is lost), the target halted: the wall time of `KernelControl.poolScan()` in the kernel
  /// (median of 3), the blocks it found in use and the lost ones. Nil when the driver could not reach `live`
  /// within `limit` seconds.
  func scan(live: Int, limit: Double) throws -> (seconds: Double, blocks: UInt32, lost: UInt32)? {
    let (target, reached) = try kernel.sync { kc throws(KernelError) in
      let m = kc.modules().first { $0.name == "Bnch" }
      let symbols = m.flatMap { kc.symbols(moduleBase: $0.base) } ?? []
      return (
        symbols.first { $0.name == "BnchLiveTarget" }?.address ?? 0,
        symbols.first { $0.name == "BnchLive" }?.address ?? 0
      )
    }
    guard target != 0, reached != 0 else { throw BenchError.failed("the bench scenario has no Bnch!BnchLive") }
    try write(target, UInt32(live))
    try write(mode, BenchMode.live.rawValue)
    let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
    func liveNow() throws -> UInt32 {
      let bytes = try kernel.sync { kc in kc.readVirtual(reached, count: 4).bytes }
      return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    while try liveNow() < UInt32(live), ContinuousClock.now < deadline { usleep(20_000) }
    guard try liveNow() >= UInt32(live) else { return nil }
    _ = kernel.breakIn()
    while try kernel.sync({ kc in if case .halted = kc.runState { false } else { true } }) { usleep(1_000) }
    var times: [Double] = []
    var result = (blocks: UInt32(0), lost: UInt32(0))
    for _ in 0..<3 {
      let (seconds, blocks, lost) = try kernel.sync { kc throws(KernelError) in
        let start = ContinuousClock.now
        let report = try kc.poolScan()
        return ((ContinuousClock.now - start).seconds, report.blocks, report.lostBlocks)
      }
      times.append(seconds)
      result = (blocks, lost)
    }
    try kernel.sync { kc throws(KernelError) in try kc.resume(singleStep: false) }
    return (Measure.quantile(times.sorted(), 0.5), result.blocks, result.lost)
  }

  /// glibc malloc(32)+free pairs per second: a ring of 64 live blocks, the oldest freed before each malloc.
  static func mallocPairsPerSecond(seconds: Double) -> Double {
    var ring = [UnsafeMutableRawPointer?](repeating: nil, count: 64)
    var pairs = 0
    let start = ContinuousClock.now
    let limit = Duration.milliseconds(Int(seconds * 1000))
    while ContinuousClock.now - start < limit {
      for _ in 0..<4096 {
        let slot = pairs & 63
        free(ring[slot])
        ring[slot] = malloc(32)
        ring[slot]!.storeBytes(of: UInt8(truncatingIfNeeded: pairs), as: UInt8.self)
        pairs += 1
      }
    }
    let elapsed = (ContinuousClock.now - start).seconds
    for p in ring { free(p) }
    return Double(pairs) / elapsed
  }
}
