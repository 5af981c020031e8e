/// Growth of each PoolMon row over the target's own (virtual) time (ours, not PoolMon's): bytes per minute over
/// the last 1, 5 and 15 minutes, and whether the row's floor keeps rising. Fed one sample per PoolMon refresh with
/// the target's InterruptTime; keeps at most 15 minutes (and 4096 samples) per row.
///
/// The trend test is the one a person applies to PoolMon by eye, made exact: cut the last `trendBuckets` minutes
/// into one-minute buckets and take each bucket's smallest byte count. A leak's floor rises in every bucket; a
/// bounded tag, however bursty, falls back to its baseline, so some bucket's floor is not above the one before.
public struct PoolGrowth: Sendable {
  /// 100 ns units per minute.
  public static let minute: UInt64 = 600_000_000
  /// Rate windows, in minutes.
  public static let windows = [1, 5, 15]
  /// Consecutive one-minute buckets whose floors must each rise for `.rising`.
  public static let trendBuckets = 3
  static let maxSamples = 4096

  public enum Trend: String, Sendable, Codable {
    /// Not enough history yet (less than `trendBuckets` minutes with samples in each).
    case unknown
    /// The floor rose in each of the last `trendBuckets` minutes: growing without returning to its baseline.
    case rising
    /// The floor fell back or held in some minute: bounded so far.
    case bounded
  }

  public struct Rates: Sendable, Equatable, Codable {
    /// Bytes per minute over the last 1, 5 and 15 minutes (over what history there is, when shorter); nil until
    /// two samples are apart in time.
    public var perMinute: [Double?]
    public var trend: Trend
  }

  struct Sample {
    var time: UInt64
    var bytes: UInt32
  }

  private var history: [String: [Sample]] = [:]

  public init() {}

  /// Records one sample of `bytes` for `key` at target time `time`; a time that went backwards (a reboot) starts
  /// the row's history again.
  public mutating func record(_ key: String, time: UInt64, bytes: UInt32) {
    var samples = history[key] ?? []
    if let last = samples.last, time < last.time { samples = [] }
    if let last = samples.last, last.time == time { samples.removeLast() }
    samples.append(Sample(time: time, bytes: bytes))
    let horizon = time > 15 * Self.minute ? time - 15 * Self.minute : 0
    // Keep one sample at or before the horizon, so the 15-minute rate spans the whole window.
    if let firstInside = samples.firstIndex(where: { $0.time >= horizon }), firstInside > 1 {
      samples.removeFirst(firstInside - 1)
    }
    if samples.count > Self.maxSamples { samples.removeFirst(samples.count - Self.maxSamples) }
    history[key] = samples
  }

  /// Forgets rows not seen in the last sample.
  public mutating func keep(only keys: Set<String>) {
    history = history.filter { keys.contains($0.key) }
  }

  public func rates(_ key: String) -> Rates {
    guard let samples = history[key], let last = samples.last else {
      return Rates(perMinute: Self.windows.map { _ in nil }, trend: .unknown)
    }
    let perMinute = Self.windows.map { window -> Double? in
      let start = last.time > UInt64(window) * Self.minute ? last.time - UInt64(window) * Self.minute : 0
      // The latest sample at or before the window's start, else the oldest one.
      let from = samples.last(where: { $0.time <= start }) ?? samples[0]
      guard last.time > from.time else { return nil }
      let minutes = Double(last.time - from.time) / Double(Self.minute)
      return (Double(last.bytes) - Double(from.bytes)) / minutes
    }
    return Rates(perMinute: perMinute, trend: trend(samples))
  }

  private func trend(_ samples: [Sample]) -> Trend {
    guard let last = samples.last, last.time >= UInt64(Self.trendBuckets) * Self.minute else { return .unknown }
    let start = last.time - UInt64(Self.trendBuckets) * Self.minute
    var floors: [UInt32] = []
    for b in 0..<Self.trendBuckets {
      let lower = start + UInt64(b) * Self.minute
      let upper = lower + Self.minute
      let inside = samples.filter { $0.time > lower && $0.time <= upper }
      guard let floor = inside.map(\.bytes).min() else { return .unknown }
      floors.append(floor)
    }
    // Before the first bucket: the floor it must rise above.
    guard let before = samples.filter({ $0.time <= start }).map(\.bytes).min() else { return .unknown }
    var previous = before
    for f in floors {
      if f <= previous { return .bounded }
      previous = f
    }
    return .rising
  }
}
