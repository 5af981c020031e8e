import Glibc

/// Virtual time in 100 ns units since boot. As fast as possible (pace 0) it advances by a fixed cost per
/// service call and jumps to the next wake-up when every thread waits; paced, it also follows the wall
/// clock scaled by `pace`, and time spent halted does not count.
struct VirtualClock {
  private(set) var now: UInt64 = 0
  let pace: Double
  private var anchorWall: UInt64 = 0
  private var anchorVirtual: UInt64 = 0

  init(pace: Double) { self.pace = max(0, pace) }

  static func wallNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  mutating func advance(by ticks: UInt64) { now &+= ticks }
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
    now = max(now, anchorVirtual &+ UInt64(elapsed))
  }

  /// Paced: wall nanoseconds until virtual time `t`.
  func wallNanos(until t: UInt64) -> UInt64 {
    guard pace > 0, t > now else { return 0 }
    return UInt64(Double(t - now) * 100 / pace)
  }
}
