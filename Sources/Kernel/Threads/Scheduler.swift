/// Deterministic round-robin scheduling: a thread runs until it waits, terminates, or spends its slice
/// of service calls (a length drawn from the seeded generator). Wall-clock preemption (the watchdog) only
/// ends slices of code that makes no service calls.
struct Scheduler {
  private(set) var threads: [KernelThread] = []
  private(set) var current: KernelThread?
  private var cursor = 0
  var random: SplitMix64

  init(seed: UInt64) { random = SplitMix64(seed: seed) }

  mutating func add(_ t: KernelThread) { threads.append(t) }

  var idle: KernelThread? { threads.first { $0.isIdle } }

  /// The next ready thread after the current one; waiting threads whose time has come become ready.
  mutating func next(now: UInt64) -> KernelThread? {
    let n = threads.count
    for k in 1...max(n, 1) where n > 0 {
      let i = (cursor + k) % n
      let t = threads[i]
      if t.isIdle { continue }
      if case .waiting(let until) = t.state, until <= now { t.state = .ready }
      if t.state == .ready {
        cursor = i
        current = t
        return t
      }
    }
    return nil
  }

  mutating func makeCurrent(_ t: KernelThread) { current = t }

  /// Whether a thread other than the current one could run at `now`.
  func hasOtherRunnable(now: UInt64) -> Bool {
    threads.contains { t in
      guard t !== current, !t.isIdle else { return false }
      switch t.state {
      case .ready: return true
      case .waiting(let until): return until <= now
      case .terminated: return false
      }
    }
  }

  /// The next wake-up; nil when nothing waits for a time before the end of time (`UInt64.max`: forever).
  func earliestWake() -> UInt64? {
    threads.compactMap { if case .waiting(let until) = $0.state, until != .max { until } else { nil } }.min()
  }

  /// Service calls the next slice may make.
  mutating func sliceBudget() -> Int { 8 + Int(random.next() % 57) }

  func thread(kthread: UInt32) -> KernelThread? { threads.first { $0.kthread == kthread } }
}

/// A small seedable generator (SplitMix64): the same seed gives the same run.
struct SplitMix64 {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
