/// `!poolsites [Tag] [-w N]`, `!poolsites -snap Name`, `!poolsites -diff A B` (ours; KD has no such command):
/// outstanding pool blocks and bytes per allocating call site (the return address into the driver, with the
/// first frames of the first stack seen from it), from the target's own count. A site whose outstanding count
/// grew in every one of the last N windows between the target's samples (5 s of virtual time apart; N 4 unless
/// `-w` says) is marked LEAKING, the rest bounded; leaking sites come first, then by bytes. Snapshots are kept
/// by this session; `-diff` shows the growth per site from one to the other, in virtual time.
enum PoolSites: Command {
  static let names = ["!poolsites"]
  static let summary =
    "!poolsites [Tag] [-w N] | -snap Name | -diff A B   pool per allocating call site, leak trend (ours)"
  static let defaultWindows = 4

  /// One call site as printed.
  struct Site: Codable, Sendable {
    var callSite: UInt32
    var tag: String
    var subTag: String?
    var name: String
    var frames: [String]
    var outstandingBlocks: UInt32
    var outstandingBytes: UInt64
    var allocations: UInt64
    var frees: UInt64
    /// Outstanding blocks gained in each of the last windows (nil: too little history).
    var growth: [Int64]?
    var leaking: Bool
  }

  struct Listing: CommandOutput {
    var virtualTime: UInt64
    var tag: String?
    var windows: Int
    var windowSeconds: Double
    var samples: Int
    var sites: [Site]

    var lines: [String] {
      let which = tag.map { ", tag \($0)" } ?? ""
      var out = [
        "Outstanding pool by allocating call site (ours) at \(seconds(virtualTime)) s virtual\(which);"
          + " trend over the last \(windows) windows of \(format(windowSeconds)) s"
      ]
      if samples < windows + 1 {
        out.append(
          "(a trend needs \(windows + 1) samples \(format(windowSeconds)) s apart; the target has \(samples) so far:"
            + " run it longer)")
      }
      let split = sites.contains { $0.subTag != nil }
      out.append(
        " Tag " + (split ? " Sub " : "") + "   Blocks       Bytes  Trend    "
          + "Call site".rightPadded(to: 34) + "Growth per window (blocks)")
      for s in sites {
        let trend = s.growth == nil ? "?" : s.leaking ? "LEAKING" : "bounded"
        let growth = s.growth.map { $0.map { $0 > 0 ? "+\($0)" : "\($0)" }.joined(separator: " ") } ?? ""
        out.append(
          " \(s.tag)" + (split ? " \(s.subTag ?? "    ")" : "") + " \(String(s.outstandingBlocks).leftPadded(to: 8))"
            + " \(String(s.outstandingBytes).leftPadded(to: 11))  \(trend.rightPadded(to: 8)) "
            + "\(s.name.rightPadded(to: 33)) \(growth)")
        let indent = String(repeating: " ", count: split ? 42 : 37)
        for f in s.frames { out.append(indent + f) }
      }
      if sites.isEmpty { out.append(" (no outstanding allocations\(tag.map { " with tag \($0)" } ?? ""))") }
      return out
    }

    enum CodingKeys: String, CodingKey { case virtualTime, tag, windows, windowSeconds, samples, sites }
  }

  struct Snapshot: CommandOutput {
    var name: String
    var virtualTime: UInt64
    var sites: Int
    var blocks: UInt64
    var bytes: UInt64

    var lines: [String] {
      [
        "Snapshot \(name): \(sites) call sites, \(blocks) blocks, \(bytes) bytes outstanding at"
          + " \(seconds(virtualTime)) s virtual (ours)"
      ]
    }
  }

  struct Diff: CommandOutput {
    struct Row: Codable, Sendable {
      var tag: String
      var name: String
      var blocksBefore: UInt32
      var blocksAfter: UInt32
      var blockGrowth: Int64
      var byteGrowth: Int64
      var bytesPerMinute: Int64
    }
    var from: String
    var to: String
    var fromTime: UInt64
    var toTime: UInt64
    var rows: [Row]
    var unchanged: Int

    var lines: [String] {
      let span = Int64(toTime) - Int64(fromTime)
      var out = [
        "Growth per call site from \(from) (\(seconds(fromTime)) s) to \(to) (\(seconds(toTime)) s virtual),"
          + " \(signedSeconds(span)) s (ours)",
        " Tag   Blocks \(from.prefix(1))   Blocks \(to.prefix(1))    +Blocks       +Bytes    Bytes/min  Call site",
      ]
      for r in rows {
        out.append(
          " \(r.tag) \(String(r.blocksBefore).leftPadded(to: 9)) \(String(r.blocksAfter).leftPadded(to: 10))"
            + " \(signed(r.blockGrowth).leftPadded(to: 10)) \(signed(r.byteGrowth).leftPadded(to: 12))"
            + " \(String(r.bytesPerMinute).leftPadded(to: 12))  \(r.name)")
      }
      out.append(" (\(unchanged) call sites unchanged)")
      return out
    }

    private func signed(_ v: Int64) -> String { v > 0 ? "+\(v)" : "\(v)" }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let words = inv.arguments.split(separator: " ").map(String.init)
    switch words.first {
    case "-snap":
      guard words.count == 2 else { throw .syntax(position: inv.argumentsStart) }
      let listing = try fetch(session)
      session.poolSiteSnapshots[words[1]] = listing
      return Snapshot(
        name: words[1], virtualTime: listing.virtualTime, sites: listing.sites.count,
        blocks: listing.sites.reduce(0) { $0 + UInt64($1.outstandingBlocks) },
        bytes: listing.sites.reduce(0) { $0 &+ $1.outstandingBytes })
    case "-diff":
      guard words.count == 3 else { throw .syntax(position: inv.argumentsStart) }
      return try diff(words[1], words[2], session)
    default:
      var windows = defaultWindows
      var matcher: PoolData.TagMatcher?
      var rest = words[...]
      while let w = rest.popFirst() {
        if w == "-w" {
          guard let n = rest.popFirst().flatMap({ Int($0) }), n >= 1, n < Limits.samples else {
            throw .message("-w takes a number of windows from 1 to \(Limits.samples - 1)")
          }
          windows = n
        } else if matcher == nil, let m = PoolData.TagMatcher(w) {
          matcher = m
        } else {
          throw .syntax(position: inv.argumentsStart)
        }
      }
      return try listing(matcher: matcher, windows: windows, session)
    }
  }

  private enum Limits {
    static let samples = 16
  }

  static func fetch(_ session: Session) throws(CommandError) -> PoolSiteListing {
    try session.targetCall { () throws(TargetError) in try session.target.poolSites() }
  }

  private static func listing(matcher: PoolData.TagMatcher?, windows: Int, _ session: Session) throws(CommandError)
    -> Listing
  {
    let listing = try fetch(session)
    var sites: [Site] = []
    for r in listing.sites where r.outstandingBlocks != 0 && (matcher?.matches(r.tag) ?? true) {
      let growth = Self.growth(of: r.history, windows: windows)
      sites.append(
        Site(
          callSite: r.callSite, tag: Ascii.tag(r.tag), subTag: r.subTag == 0 ? nil : Ascii.tag(r.subTag),
          name: try siteName(r.callSite, session), frames: try r.frames.dropFirst().map(session.symbolOrAddress),
          outstandingBlocks: r.outstandingBlocks, outstandingBytes: r.outstandingBytes, allocations: r.allocations,
          frees: r.frees, growth: growth, leaking: growth.map { $0.allSatisfy { $0 > 0 } } ?? false))
    }
    sites.sort {
      ($0.leaking ? 1 : 0, $0.outstandingBytes, $1.callSite) > ($1.leaking ? 1 : 0, $1.outstandingBytes, $0.callSite)
    }
    return Listing(
      virtualTime: listing.virtualTime, tag: matcher?.display, windows: windows,
      windowSeconds: Double(listing.sampleInterval) / 1e7, samples: listing.sampleTimes.count, sites: sites)
  }

  /// Outstanding blocks gained in each of the last `windows` windows of a site's sampled history (nil: too few
  /// samples). A site is leaking when every one is positive.
  static func growth(of history: [UInt32], windows: Int) -> [Int64]? {
    history.count > windows
      ? zip(history.suffix(windows + 1).dropLast(), history.suffix(windows)).map { Int64($1) - Int64($0) } : nil
  }

  static func siteName(_ callSite: UInt32, _ session: Session) throws(CommandError) -> String {
    callSite == 0 ? "(nt, or past the site table)" : try session.symbolOrAddress(callSite)
  }

  private static func diff(_ a: String, _ b: String, _ session: Session) throws(CommandError) -> Diff {
    func snapshot(_ name: String) throws(CommandError) -> PoolSiteListing {
      guard let s = session.poolSiteSnapshots[name] else {
        let taken = session.poolSiteSnapshots.keys.sorted().joined(separator: ", ")
        throw .message("no snapshot named \(name) (taken: \(taken.isEmpty ? "none" : taken); use -snap Name)")
      }
      return s
    }
    let before = try snapshot(a)
    let after = try snapshot(b)
    struct Key: Hashable {
      var callSite: UInt32
      var tag: UInt32
    }
    let old = Dictionary(before.sites.map { (Key(callSite: $0.callSite, tag: $0.tag), $0) }) { first, _ in first }
    var seen = Set<Key>()
    var rows: [(Diff.Row, UInt32)] = []
    let span = Double(Int64(after.virtualTime) - Int64(before.virtualTime)) / 6e8
    for site in after.sites + before.sites {
      let key = Key(callSite: site.callSite, tag: site.tag)
      guard seen.insert(key).inserted else { continue }
      let was = old[key]
      let now = after.sites.first { $0.callSite == site.callSite && $0.tag == site.tag }
      let blockGrowth = Int64(now?.outstandingBlocks ?? 0) - Int64(was?.outstandingBlocks ?? 0)
      let byteGrowth = Int64(clamping: now?.outstandingBytes ?? 0) - Int64(clamping: was?.outstandingBytes ?? 0)
      guard blockGrowth != 0 || byteGrowth != 0 else { continue }
      let rate = span != 0 ? (Double(byteGrowth) / span).rounded() : 0
      let perMinute = rate.magnitude < 1e18 ? Int64(rate) : 0
      rows.append(
        (
          Diff.Row(
            tag: Ascii.tag(site.tag), name: try siteName(site.callSite, session),
            blocksBefore: was?.outstandingBlocks ?? 0, blocksAfter: now?.outstandingBlocks ?? 0,
            blockGrowth: blockGrowth, byteGrowth: byteGrowth, bytesPerMinute: perMinute), site.callSite
        ))
    }
    rows.sort { ($0.0.byteGrowth, $1.1) > ($1.0.byteGrowth, $0.1) }
    return Diff(
      from: a, to: b, fromTime: before.virtualTime, toTime: after.virtualTime, rows: rows.map(\.0),
      unchanged: seen.count - rows.count)
  }
}

/// Virtual time (100 ns units) as seconds with three decimals.
private func seconds(_ t: UInt64) -> String { format(Double(t) / 1e7) }

private func signedSeconds(_ t: Int64) -> String { format(Double(t) / 1e7) }

private func format(_ s: Double) -> String {
  let ms = Int64((s * 1000).rounded())
  let sign = ms < 0 ? "-" : ""
  let m = ms.magnitude
  return "\(sign)\(m / 1000).\(String(m % 1000).leftPadded(to: 3, with: "0"))"
}
