import ArgumentParser
import Foundation

/// `kd poolmon`: PoolMon over the wire. Full-screen on a terminal; plain snapshots every `--interval`
/// seconds otherwise, or one JSON object per snapshot with `kd`'s `--json`.
public struct PoolMonSubcommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "poolmon", abstract: "Live pool-tag view (PoolMon's columns, keys and sorting).")

  /// `kd`'s own options (connection, `--json`) apply to `kd poolmon` too, before or after `poolmon`.
  @ParentCommand var root: KDCommand

  @Option(name: .long, help: "Seconds between refreshes (PoolMon: 5).")
  public var interval: Double = 5

  @Option(name: .long, help: "Print this many snapshots, then exit.")
  public var count: Int?

  @Option(name: .long, help: "Sort key: t(ag) a(llocs) f(rees) d(iff) b(ytes) m (per alloc), g (growth, ours).")
  public var sort: String = "t"

  @Flag(
    name: .long,
    help: "Ours: add bytes/min over 1, 5 and 15 minutes of the target's time and the trend (rising or bounded).")
  public var rates = false

  @Flag(name: .long, help: "Sort by change since the last refresh (PoolMon's /( ).")
  public var byChange = false

  @Option(name: .long, help: "Only tags matching this pattern (* and ?; repeatable).")
  public var include: [String] = []

  @Option(name: .long, help: "Leave out tags matching this pattern (repeatable).")
  public var exclude: [String] = []

  @Option(name: .long, help: "Pool: both, nonpaged or paged.")
  public var pool: String = "both"

  @Flag(name: .long, help: "No highlighting of changed rows.")
  public var noHighlight = false

  public init() {}

  public func validate() throws {
    guard PoolMon.SortKey(rawValue: sort) != nil else { throw ValidationError("--sort takes one of t a f d b m g") }
    guard ["both", "nonpaged", "paged"].contains(pool) else {
      throw ValidationError("--pool takes both, nonpaged or paged")
    }
    guard interval > 0, interval <= 86400 else {
      throw ValidationError("--interval takes more than 0 and at most 86400 seconds")
    }
    if let count, count < 1 { throw ValidationError("--count must be at least 1") }
  }

  public func run() throws {
    throw ValidationError("kd must be started through KDCommand.main(connect:)")
  }

  public func execute(connect: TargetConnector) -> Int32 {
    let target: any DebugTarget
    switch root.connection.open(connect) {
    case .success(let t): target = t
    case .failure(let status): return status.rawValue
    }
    Interrupt.install()
    var screen = PoolMonScreen()
    screen.mon.sort = PoolMon.SortKey(rawValue: sort) ?? .tag
    screen.mon.sortByChange = byChange
    screen.mon.include = include
    screen.mon.exclude = exclude
    screen.mon.pools = pool == "paged" ? .paged : pool == "nonpaged" ? .nonPaged : .both
    screen.mon.highlight = !noHighlight
    screen.mon.showRates = rates || sort == "g"
    screen.interval = .milliseconds(Int(interval * 1000))
    screen.count = count
    screen.json = root.json
    return screen.run(Debugger(target: target)) ? 0 : KDExitStatus.connectionLost.rawValue
  }
}
