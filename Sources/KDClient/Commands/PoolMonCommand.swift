/// `!poolmon [/t|/a|/f|/d|/b|/m] [/(] [/p [/p]] [/iTag] [/xTag]` (ours: PoolMon in the debugger): one
/// PoolMon snapshot; changes are relative to the previous `!poolmon` of this session. The console shows
/// it live, full-screen, when the output is a terminal.
enum PoolMonCommand: Command {
  static let names = ["!poolmon"]
  static let summary = "!poolmon [/b|/a|/f|/d|/m|/t] [/(] [/p] [/iTag] [/xTag]   PoolMon view of pool tags (ours)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var mon = session.poolMon
    for word in inv.arguments.split(separator: " ") {
      guard mon.apply(option: String(word)) else { throw .message("Unknown PoolMon option '\(word)'") }
    }
    let entries = try PoolData.trackTable(session)
    let view = mon.sample(entries)
    // Keep the sample (for changes) but not this command's one-off options.
    var kept = session.poolMon
    _ = kept.sample(entries)
    session.poolMon = kept
    return view
  }
}
