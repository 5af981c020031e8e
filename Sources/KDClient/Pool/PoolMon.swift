import Foundation

/// PoolMon's model: one row per tag and pool type with counters and their change since the previous
/// sample, sorted by PoolMon's keys (optionally by change), filtered by include/exclude tag patterns and
/// pool type. Feed it `PoolTrackerEntry` tables; it remembers the previous sample.
public struct PoolMon: Sendable {
  public enum SortKey: String, Sendable, Codable, CaseIterable {
    case tag = "t", allocs = "a", frees = "f", diff = "d", bytes = "b", perAlloc = "m"
    /// Ours: by bytes per minute over the last 5 minutes of target time (`PoolGrowth`).
    case growth = "g"
  }

  public enum PoolFilter: String, Sendable, Codable {
    case both, nonPaged, paged

    /// PoolMon's `p` key: nonpaged -> paged -> both.
    var next: PoolFilter {
      switch self {
      case .both: .nonPaged
      case .nonPaged: .paged
      case .paged: .both
      }
    }
  }

  public var sort: SortKey = .tag
  public var sortByChange = false
  public var pools: PoolFilter = .both
  public var highlight = true
  public var include: [String] = []
  public var exclude: [String] = []
  /// Ours: show the growth columns (bytes/min over 1, 5, 15 minutes of target time and the trend).
  public var showRates = false
  /// Growth history per row, in the target's time.
  public private(set) var growth = PoolGrowth()
  private var previous: [String: PoolMonRow.Counters] = [:]

  public init() {}

  /// Applies a PoolMon run-time key; false when the key means nothing (q is the caller's).
  public mutating func handleKey(_ key: Character) -> Bool {
    switch key {
    case "p", "P": pools = pools.next
    case "(", ")": sortByChange.toggle()
    case "l", "L": highlight.toggle()
    case "r", "R": showRates.toggle()
    default:
      guard let k = SortKey(rawValue: String(key).lowercased()) else { return false }
      sort = k
    }
    return true
  }

  /// Startup options as PoolMon spells them: `/b /a /f /d /t /m /( /p /p /l /iTag /xTag`.
  public mutating func apply(option: String) -> Bool {
    let o = option.hasPrefix("/") || option.hasPrefix("-") ? String(option.dropFirst()) : option
    if o.hasPrefix("i"), o.count > 1 {
      include.append(String(o.dropFirst()))
      return true
    }
    if o.hasPrefix("x"), o.count > 1 {
      exclude.append(String(o.dropFirst()))
      return true
    }
    switch o {
    case "p": pools = pools == .nonPaged ? .paged : .nonPaged
    case "(", ")": sortByChange = true
    case "l": highlight = false
    case "r": showRates = true
    default:
      guard o.count == 1, let k = SortKey(rawValue: o) else { return false }
      sort = k
    }
    return true
  }

  /// One refresh: rows with changes since the previous sample, stamped with `time` (when the table was read), and
  /// with their growth when `targetTime` (the target's InterruptTime, 100 ns units since boot) is known.
  public mutating func sample(
    _ entries: [PoolTrackerEntry], at time: Date = Date(), targetTime: UInt64? = nil
  ) -> PoolMonView {
    var rows: [PoolMonRow] = []
    let includes = include.map { Wildcard($0, caseInsensitive: false) }
    let excludes = exclude.map { Wildcard($0, caseInsensitive: false) }
    var seen: [String: PoolMonRow.Counters] = [:]
    for e in entries {
      let tag = e.tagText
      if !includes.isEmpty && !includes.contains(where: { $0.matches(tag) }) { continue }
      if excludes.contains(where: { $0.matches(tag) }) { continue }
      for paged in [false, true] {
        let c = PoolMonRow.Counters(
          allocs: paged ? e.pagedAllocs : e.nonPagedAllocs, frees: paged ? e.pagedFrees : e.nonPagedFrees,
          bytes: paged ? e.pagedBytes : e.nonPagedBytes)
        guard c.allocs != 0 || c.frees != 0 else { continue }
        let key = tag + (paged ? "P" : "N")
        seen[key] = c
        if let targetTime { growth.record(key, time: targetTime, bytes: c.bytes) }
        if pools == .nonPaged && paged || pools == .paged && !paged { continue }
        let before = previous[key] ?? c
        rows.append(
          PoolMonRow(
            tag: tag, paged: paged, counters: c, previous: before, isNew: previous[key] == nil && !previous.isEmpty,
            tagValue: e.tag, time: time, rates: targetTime == nil ? nil : growth.rates(key)))
      }
    }
    previous = seen
    if targetTime != nil { growth.keep(only: Set(seen.keys)) }
    rows.sort(by: order)
    return PoolMonView(
      rows: rows, sort: sort, sortByChange: sortByChange, pools: pools, highlight: highlight, showRates: showRates,
      targetTime: targetTime)
  }

  private func order(_ a: PoolMonRow, _ b: PoolMonRow) -> Bool {
    func key(_ r: PoolMonRow) -> Int64 {
      switch (sort, sortByChange) {
      case (.allocs, false): Int64(r.counters.allocs)
      case (.allocs, true): r.allocsChange
      case (.frees, false): Int64(r.counters.frees)
      case (.frees, true): r.freesChange
      case (.diff, _): Int64(r.diff)
      case (.bytes, false): Int64(r.counters.bytes)
      case (.bytes, true): r.bytesChange
      case (.perAlloc, _): Int64(r.perAlloc)
      case (.growth, _): Int64((r.rates?.perMinute[1] ?? 0).rounded())
      case (.tag, _): 0
      }
    }
    if sort == .tag || key(a) == key(b) {
      return (a.tag, a.paged ? 1 : 0) < (b.tag, b.paged ? 1 : 0)
    }
    return key(a) > key(b)
  }
}

/// One PoolMon row: a tag in one pool.
public struct PoolMonRow: Sendable, Encodable, Equatable {
  public struct Counters: Sendable, Codable, Equatable {
    public var allocs: UInt32
    public var frees: UInt32
    public var bytes: UInt32
  }

  public var tag: String
  public var paged: Bool
  public var counters: Counters
  public var previous: Counters
  /// The tag appeared since the previous sample.
  public var isNew: Bool
  /// The tag DWORD (`tag` shows its unprintable bytes as `.`, as PoolMon does); nil for a row made by hand.
  public var tagValue: UInt32? = nil
  /// When the sample was read (this machine's clock); nil for a row made by hand.
  public var time: Date? = nil
  /// Ours: growth over the target's time (nil when the target's time could not be read).
  public var rates: PoolGrowth.Rates? = nil

  public var diff: UInt32 { counters.allocs &- counters.frees }
  public var perAlloc: UInt32 { diff == 0 ? 0 : counters.bytes / diff }
  public var allocsChange: Int64 { Int64(counters.allocs) - Int64(previous.allocs) }
  public var freesChange: Int64 { Int64(counters.frees) - Int64(previous.frees) }
  public var bytesChange: Int64 { Int64(counters.bytes) - Int64(previous.bytes) }
  public var changed: Bool { isNew || counters != previous }

  private enum Keys: String, CodingKey { case tag, paged, counters, previous, isNew, time, rates }

  /// JSON (docs/kd-json.schema.json, `poolMonRow`): the tag in kd's JSON spelling (`TagString`), the sample time
  /// in ISO 8601 UTC.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(tagValue.map(TagString.text) ?? tag, forKey: .tag)
    try c.encode(paged, forKey: .paged)
    try c.encode(counters, forKey: .counters)
    try c.encode(previous, forKey: .previous)
    try c.encode(isNew, forKey: .isNew)
    try c.encodeIfPresent(time.map(JSONTime.text), forKey: .time)
    try c.encodeIfPresent(rates, forKey: .rates)
  }
}
