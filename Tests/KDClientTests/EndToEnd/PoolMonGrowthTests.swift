import Foundation
import KDTestSupport
import Testing

/// `kd poolmon --rates` with the real binary on the `growth` scenario (Drip leaks 16 pool bytes a second, Burst
/// allocates and frees 20 KB every 10 s), on the embedded target and on a real kdserver over TLS: Drip is marked
/// rising within five minutes of target time, at about 960 B/min, and Burst never is.
@Suite struct PoolMonGrowthTests {
  struct Sample {
    var targetTime: Double
    var trend: [String: String]
    var fiveMinuteRate: [String: Double]
  }

  static func samples(_ stdout: String) -> [Sample] {
    stdout.split(separator: "\n").compactMap { line -> Sample? in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        object["event"] as? String == "poolmon", let result = object["result"] as? [String: Any],
        let time = result["targetTime"] as? Double, let rows = result["rows"] as? [[String: Any]]
      else { return nil }
      var s = Sample(targetTime: time / 600_000_000, trend: [:], fiveMinuteRate: [:])
      for row in rows {
        guard let tag = row["tag"] as? String, let rates = row["rates"] as? [String: Any] else { continue }
        s.trend[tag] = rates["trend"] as? String
        s.fiveMinuteRate[tag] = (rates["perMinute"] as? [Any])?[1] as? Double
      }
      return s
    }
  }

  static func check(_ stdout: String) {
    let all = samples(stdout)
    #expect(all.count > 20, "samples read: \(all.count)")
    guard let last = all.last else { return }
    #expect(last.targetTime >= 6, "ran \(last.targetTime) minutes of target time")
    let firstRising = all.first { $0.trend["Drip"] == "rising" }
    #expect(firstRising.map { $0.targetTime <= 5 } == true, "Drip rising at \(firstRising?.targetTime ?? -1) min")
    #expect(all.allSatisfy { $0.trend["Brst"] != "rising" }, "Burst is bounded")
    // 16 bytes a second is 960 a minute; the guest's own timing (sleeps on the 10 ms clock) gives a little less.
    let rate = last.fiveMinuteRate["Drip"] ?? 0
    #expect(rate > 700 && rate < 1000, "Drip at \(rate) B/min")
  }

  static let arguments = ["--interval", "0.2", "--count", "60", "--rates"]

  @Test func embeddedTarget() {
    let r = run(builtExecutable("kd"), ["--json", "poolmon", "--scenario", "growth", "--pace", "60"] + Self.arguments)
    #expect(r.status == 0, "\(r.stderr)")
    Self.check(r.stdout)
  }

  @Test func remoteKDServer() throws {
    let (server, port, fingerprint) = try KDServerProcess.start(["--scenario", "growth", "--pace", "60"])
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let r = run(
      builtExecutable("kd"),
      ["--json", "poolmon", "--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint] + Self.arguments)
    #expect(r.status == 0, "\(r.stderr)")
    Self.check(r.stdout)
  }
}
