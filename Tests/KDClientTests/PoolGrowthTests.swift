import Testing

@testable import KDClient

/// Growth rates and the trend mark over the target's time, on sample series whose answers are known.
@Suite struct PoolGrowthTests {
  static let second: UInt64 = 10_000_000

  /// A leak of 16 bytes a second, sampled every 15 s: 960 B/min in every window once there is history, and
  /// `rising` as soon as three one-minute floors have each risen, not before.
  @Test func aSlowLeakIsRisingWithinFourMinutes() {
    var g = PoolGrowth()
    var flaggedAt: UInt64?
    for t in stride(from: UInt64(0), through: 20 * 60, by: 15) {
      g.record("DripP", time: t * Self.second, bytes: UInt32(16 * t))
      if flaggedAt == nil, g.rates("DripP").trend == .rising { flaggedAt = t }
    }
    let rates = g.rates("DripP")
    #expect(rates.perMinute.map { $0.map { ($0 * 1000).rounded() / 1000 } } == [960, 960, 960])
    #expect(
      flaggedAt.map { $0 >= 3 * 60 && $0 <= 4 * 60 } == true, "flagged after \(flaggedAt.map(String.init) ?? "never") s"
    )
  }

  /// Bursts of 20 KB allocated and freed every 10 s (sampled off phase) never read as rising; nor does a tag that
  /// only climbs for two minutes and falls back.
  @Test func boundedTagsAreNotRising() {
    var g = PoolGrowth()
    for t in stride(from: UInt64(0), through: 30 * 60, by: 15) {
      let inBurst = t % 10 < 5
      g.record("BrstP", time: t * Self.second, bytes: inBurst ? 20_000 + UInt32(t % 7) * 100 : 0)
      let ramp = t % 300 < 120 ? UInt32(t % 300) * 10 : 0
      g.record("RampP", time: t * Self.second, bytes: 5000 + ramp)
      #expect(g.rates("BrstP").trend != .rising, "Brst at \(t) s")
      #expect(g.rates("RampP").trend != .rising, "Ramp at \(t) s")
    }
    #expect(g.rates("BrstP").trend == .bounded)
  }

  /// Too little history is unknown; the windows use what there is; a reboot (time going back) starts again.
  @Test func historyEdges() {
    var g = PoolGrowth()
    #expect(g.rates("AbcP") == PoolGrowth.Rates(perMinute: [nil, nil, nil], trend: .unknown))
    g.record("AbcP", time: 0, bytes: 100)
    #expect(g.rates("AbcP").perMinute == [nil, nil, nil])
    g.record("AbcP", time: 30 * Self.second, bytes: 400)
    #expect(g.rates("AbcP").perMinute == [600, 600, 600])  // 300 bytes in half a minute
    #expect(g.rates("AbcP").trend == .unknown)
    g.record("AbcP", time: 10 * Self.second, bytes: 50)  // rebooted
    #expect(g.rates("AbcP").perMinute == [nil, nil, nil])
    // A sample past the 15-minute horizon drops the oldest ones but keeps one to span the window.
    for t in stride(from: UInt64(20), through: 40 * 60, by: 20) { g.record("AbcP", time: t * Self.second, bytes: 0) }
    g.keep(only: [])
    #expect(g.rates("AbcP").perMinute == [nil, nil, nil])
  }

  /// The view prints the columns only with `/r`, after PoolMon's, with signed whole bytes per minute.
  @Test func ratesColumns() {
    let rates = PoolGrowth.Rates(perMinute: [960, -12.4, nil], trend: .rising)
    #expect(PoolMonView.rates(rates) == "       +960        -12          -  rising")
    var mon = PoolMon()
    #expect(mon.apply(option: "/r") && mon.showRates)
    #expect(mon.apply(option: "/g") && mon.sort == .growth)
  }
}
