import Glibc

/// Virtual time in 100 ns units since boot. As fast as possible (pace 0) it advances by a fixed cost per
/// service call and jumps to the next wake-up when every thread waits; paced, it also follows the wall
/// clock scaled by `pace`, and time spent halted does not count. Every step saturates at `UInt64.max`:
/// a guest's absurd timeout or an operator's large pace never traps or wraps time backwards.
struct VirtualClock {
  private(set) var now: UInt64 = 0
  let pace: Double
  private var anchorWall: UInt64 = 0
  private var anchorVirtual: UInt64 = 0

  /// `pace` must satisfy `KernelConfiguration.isValid(pace:)` (configuration and manifests are checked at load).
  init(pace: Double) {
    precondition(KernelConfiguration.isValid(pace: pace), "pace \(pace) was not validated")
    self.pace = pace
  }

  static func wallNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  /// `value` rounded down to an integer in 0...UInt64.max (NaN and negatives are 0).
  static func saturating(_ value: Double) -> UInt64 {
    guard value > 0 else { return 0 }
    return value >= 18_446_744_073_709_551_615.0 ? .max : UInt64(value)
  }

  /// `a + b`, or `UInt64.max` when that overflows.
  static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
  }

  mutating func advance(by ticks: UInt64) { now = Self.saturatingSum(now, ticks) }
  mutating func jump(to t: UInt64) { now = max(now, t) }

  /// Call when the target starts running (again).
  mutating func anchor() {
    anchorWall = Self.wallNanos()
    anchorVirtual = now
  }

  /// Paced: moves `now` up to the wall clock.
  mutating func followWall() {
    guard pace > 0 else { return }
    let elapsed = Double(Self.wallNanos() &- anchorWall) / 100 * pace
    now = max(now, Self.saturatingSum(anchorVirtual, Self.saturating(elapsed)))
  }

  /// Paced: wall nanoseconds until virtual time `t` (`UInt64.max` for a wake-up beyond any wall time).
  func wallNanos(until t: UInt64) -> UInt64 {
    guard pace > 0, t > now else { return 0 }
    return Self.saturating(Double(t - now) * 100 / pace)
  }
}
