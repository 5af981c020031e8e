/// `!poolmon [/t|/a|/f|/d|/b|/m|/g] [/(] [/p [/p]] [/r] [/iTag] [/xTag]` (ours: PoolMon in the debugger): one
/// PoolMon snapshot; changes are relative to the previous `!poolmon` of this session, growth (`/r`, sorted by
/// `/g`) to every `!poolmon` of the last 15 minutes of target time. The console shows it live, full-screen,
/// when the output is a terminal.
enum PoolMonCommand: Command {
  static let names = ["!poolmon"]
  static let summary =
    "!poolmon [/b|/a|/f|/d|/m|/t|/g] [/(] [/p] [/r] [/iTag] [/xTag]   PoolMon view of pool tags; /r growth (ours)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var mon = session.poolMon
    for word in inv.arguments.split(separator: " ") {
      guard mon.apply(option: String(word)) else { throw .message("Unknown PoolMon option '\(word)'") }
    }
    let entries = try PoolData.trackTable(session)
    let time = SystemIdentity.interruptTime(from: session.target)
    let view = mon.sample(entries, targetTime: time)
    // Keep the sample (for changes and growth) but not this command's one-off options.
    var kept = session.poolMon
    _ = kept.sample(entries, targetTime: time)
    session.poolMon = kept
    return view
  }
}
