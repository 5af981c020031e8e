/// `!poolscan [Tag] [-w N]` (ours; KD has no such command): a kmemleak-style reachability scan of the target's
/// pools, the target halted. The target marks every in-use block a pointer reaches from its roots (module images,
/// the KPCR, every live thread's stack and registers, nt's own objects) or from a block so reached; the rest are
/// lost, as kmemleak's unreferenced objects. A pointer is an aligned 4-byte value anywhere in a block's body, from
/// its first byte to the block's end; one to its POOL_HEADER does not count. Per allocating call site (as
/// `!poolsites` names them), the blocks, the lost ones and a verdict: LOST (every block lost), PART-LOST, GROWING
/// (all referenced, the outstanding count grew in each of the last N windows of the target's samples, N 4 unless
/// `-w` says: a leak that stays referenced, such as a list nobody trims) or referenced. Lost bytes first.
enum PoolScanCommand: Command {
  static let names = ["!poolscan"]
  static let summary = "!poolscan [Tag] [-w N]   reachability scan: lost vs referenced-but-growing per site (ours)"

  enum Verdict: String, Codable, Sendable {
    case lost, partLost, growing, referenced

    var text: String {
      switch self {
      case .lost: "LOST"
      case .partLost: "PART-LOST"
      case .growing: "GROWING"
      case .referenced: "referenced"
      }
    }
  }

  /// One call site as printed.
  struct Site: Codable, Sendable {
    @TagString var tag: UInt32
    @HexString var callSite: UInt32
    var name: String
    var blocks: UInt32
    var bytes: UInt64
    var lostBlocks: UInt32
    var lostBytes: UInt64
    /// The lowest lost blocks (at most 8).
    @HexString var lostAddresses: [UInt32]
    /// Outstanding blocks gained in each of the last windows (nil: too few samples).
    var growth: [Int64]?
    var verdict: Verdict
  }

  struct Output: CommandOutput {
    var virtualTime: UInt64
    var tag: String?
    var windows: Int
    var blocks: UInt32
    var bytes: UInt64
    var lostBlocks: UInt32
    var lostBytes: UInt64
    var rootBytes: UInt64
    var threads: UInt32
    var sites: [Site]

    var lines: [String] {
      let which = tag.map { ", tag \($0)" } ?? ""
      var out = [
        "Pool reachability scan (ours) at \(PoolScanCommand.seconds(virtualTime)) s virtual\(which): \(blocks) blocks"
          + " (\(bytes) bytes) in use, \(lostBlocks) lost (\(lostBytes) bytes)",
        "Roots: module images, KPCR, stacks and registers of \(threads) threads (\(rootBytes) bytes);"
          + " GROWING: referenced, grew in each of the last \(windows) windows",
        " Tag     Blocks       Bytes     Lost   Lost bytes  Verdict     Call site",
      ]
      for s in sites {
        out.append(
          " \(TagString.text(s.tag)) \(String(s.blocks).leftPadded(to: 9)) \(String(s.bytes).leftPadded(to: 11))"
            + " \(String(s.lostBlocks).leftPadded(to: 8)) \(String(s.lostBytes).leftPadded(to: 12))  "
            + "\(s.verdict.text.rightPadded(to: 11)) \(s.name)")
        if !s.lostAddresses.isEmpty {
          let more = UInt32(s.lostAddresses.count) < s.lostBlocks ? " ..." : ""
          out.append(
            String(repeating: " ", count: 25) + "lost: "
              + s.lostAddresses.map { Hex.d8($0) }.joined(separator: " ") + more)
        }
      }
      if sites.isEmpty { out.append(" (no blocks in use\(tag.map { " with tag \($0)" } ?? ""))") }
      return out
    }

    enum CodingKeys: String, CodingKey {
      case virtualTime, tag, windows, blocks, bytes, lostBlocks, lostBytes, rootBytes, threads, sites
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var windows = PoolSites.defaultWindows
    var matcher: PoolData.TagMatcher?
    var rest = inv.arguments.split(separator: " ").map(String.init)[...]
    while let w = rest.popFirst() {
      if w == "-w" {
        guard let n = rest.popFirst().flatMap({ Int($0) }), (1...15).contains(n) else {
          throw .message("-w takes a number of windows from 1 to 15")
        }
        windows = n
      } else if matcher == nil, let m = PoolData.TagMatcher(w) {
        matcher = m
      } else {
        throw .syntax(position: inv.argumentsStart)
      }
    }
    return try scan(matcher: matcher, windows: windows, session)
  }

  static func scan(matcher: PoolData.TagMatcher?, windows: Int, _ session: Session) throws(CommandError) -> Output {
    let scan = try session.targetCall { () throws(TargetError) in try session.target.poolScan() }
    let listing = try PoolSites.fetch(session)
    struct Key: Hashable {
      var callSite: UInt32
      var tag: UInt32
    }
    let history = Dictionary(listing.sites.map { (Key(callSite: $0.callSite, tag: $0.tag), $0.history) }) { a, _ in a }
    var sites: [Site] = []
    for r in scan.sites where r.blocks != 0 && (matcher?.matches(r.tag) ?? true) {
      let growth = history[Key(callSite: r.callSite, tag: r.tag)].flatMap {
        PoolSites.growth(of: $0, windows: windows)
      }
      let verdict: Verdict =
        r.lostBlocks == r.blocks
        ? .lost
        : r.lostBlocks > 0 ? .partLost : growth.map { $0.allSatisfy { $0 > 0 } } == true ? .growing : .referenced
      sites.append(
        Site(
          tag: r.tag, callSite: r.callSite, name: try PoolSites.siteName(r.callSite, session), blocks: r.blocks,
          bytes: r.bytes, lostBlocks: r.lostBlocks, lostBytes: r.lostBytes, lostAddresses: r.lostAddresses,
          growth: growth, verdict: verdict))
    }
    sites.sort {
      ($0.lostBytes, $0.verdict == .growing ? 1 : 0, $0.bytes, $1.callSite)
        > ($1.lostBytes, $1.verdict == .growing ? 1 : 0, $1.bytes, $0.callSite)
    }
    return Output(
      virtualTime: scan.virtualTime, tag: matcher?.display, windows: windows, blocks: scan.blocks, bytes: scan.bytes,
      lostBlocks: scan.lostBlocks, lostBytes: scan.lostBytes, rootBytes: scan.rootBytes, threads: scan.threads,
      sites: sites)
  }

  /// Virtual time (100 ns units) as seconds with three decimals.
  static func seconds(_ t: UInt64) -> String {
    let ms = t / 10_000 + (t % 10_000 >= 5_000 ? 1 : 0)
    return "\(ms / 1000).\(String(ms % 1000).leftPadded(to: 3, with: "0"))"
  }
}
