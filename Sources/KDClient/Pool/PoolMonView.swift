/// A PoolMon screen: the title, column header and rows in PoolMon's layout
/// (` Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc`).
public struct PoolMonView: CommandOutput, Equatable {
  public var rows: [PoolMonRow]
  public var sort: PoolMon.SortKey
  public var sortByChange: Bool
  public var pools: PoolMon.PoolFilter
  public var highlight: Bool
  /// Ours: the growth columns after PoolMon's (`/r`, key `r`).
  public var showRates: Bool = false
  /// The target's InterruptTime when the table was read (100 ns units since boot); nil when it cannot be read.
  public var targetTime: UInt64? = nil

  public static let columnHeader = " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc"
  /// Ours, after PoolMon's columns: bytes per minute of target time over 1, 5 and 15 minutes, and the trend.
  public static let ratesHeader = "   B/min 1m   B/min 5m  B/min 15m  Trend"

  public var totals: (nonPaged: UInt64, paged: UInt64) {
    rows.reduce((UInt64(0), UInt64(0))) { t, r in
      r.paged ? (t.0, t.1 + UInt64(r.counters.bytes)) : (t.0 + UInt64(r.counters.bytes), t.1)
    }
  }

  /// Plain text (no escapes): what snapshots and `!poolmon` print.
  public var lines: [String] { render(ansi: false) }

  /// The screen; with `ansi`, changed rows are shown in reverse video (PoolMon's highlighting).
  public func render(ansi: Bool) -> [String] {
    let t = totals
    var out = [
      " Tags: \(String(rows.count).leftPadded(to: 5))  Sort: \(sortName)\(sortByChange ? " (change)" : "")"
        .rightPadded(to: 58)
        + "Pool N:\(String(t.nonPaged / 1024).leftPadded(to: 6))K P:\(String(t.paged / 1024).leftPadded(to: 6))K",
      " System pool information",
      Self.columnHeader + (showRates ? Self.ratesHeader : ""),
      "",
    ]
    for r in rows {
      let line = Self.row(r) + (showRates ? Self.rates(r.rates) : "")
      out.append(ansi && highlight && r.changed ? "\u{1b}[7m" + line + "\u{1b}[0m" : line)
    }
    return out
  }

  private var sortName: String {
    switch sort {
    case .tag: "tag"
    case .allocs: "allocs"
    case .frees: "frees"
    case .diff: "diff"
    case .bytes: "bytes"
    case .perAlloc: "per alloc"
    case .growth: "growth (5 min)"
    }
  }

  /// ` Wait Nonp    3971107 (   0)   3971077 (   0)       30    8456 (     0)    281`
  static func row(_ r: PoolMonRow) -> String {
    let n = { (v: UInt32, w: Int) in String(v).leftPadded(to: w) }
    let c = { (v: Int64, w: Int) in String(v).leftPadded(to: w) }
    return
      " \(r.tag) \((r.paged ? "Paged" : "Nonp").rightPadded(to: 5))\(n(r.counters.allocs, 10)) (\(c(r.allocsChange, 4)))"
      + "\(n(r.counters.frees, 10)) (\(c(r.freesChange, 4)))\(n(r.diff, 9)) \(n(r.counters.bytes, 7)) (\(c(r.bytesChange, 6)))"
      + n(r.perAlloc, 7)
  }

  /// `       +960       +960       +960  rising`: signed whole bytes per minute, `-` where the history is too short.
  static func rates(_ rates: PoolGrowth.Rates?) -> String {
    guard let rates else { return "" }
    let columns = rates.perMinute.map { v -> String in
      guard let v, v.isFinite else { return "-".leftPadded(to: 11) }
      let whole = Int64(v.rounded())
      return (whole > 0 ? "+\(whole)" : "\(whole)").leftPadded(to: 11)
    }
    let trend = rates.trend == .unknown ? "" : "  " + rates.trend.rawValue
    return columns.joined() + trend
  }

  public static func == (a: PoolMonView, b: PoolMonView) -> Bool { a.rows == b.rows && a.sort == b.sort }
}
