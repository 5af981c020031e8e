import Foundation

/// Wall-clock helpers and the statistics every benchmark reports.
enum Measure {
  /// Seconds spent in `body`.
  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start).seconds
  }

  /// Per-call latencies of `count` calls of `body`, in seconds, sorted.
  static func latencies(count: Int, _ body: (Int) throws -> Void) rethrows -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for i in 0..<count {
      let start = ContinuousClock.now
      try body(i)
      samples.append((ContinuousClock.now - start).seconds)
    }
    return samples.sorted()
  }

  /// The value at quantile `q` (0...1) of sorted `samples`.
  static func quantile(_ samples: [Double], _ q: Double) -> Double {
    guard !samples.isEmpty else { return .nan }
    let index = min(samples.count - 1, max(0, Int((Double(samples.count - 1) * q).rounded())))
    return samples[index]
  }

  /// Resident set size of process `pid` in bytes (VmRSS of /proc/PID/status), nil if unreadable.
  static func residentBytes(pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
    }
    return nil
  }
}

extension Duration {
  var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}
