/// `bu[ID] [Address [Passes]] ["Commands"]`: a breakpoint on a symbolic reference. `bp`'s syntax; when the
/// symbol or its module is not there yet it stays deferred without a word (`bl` shows it with `u` and the
/// expression in parentheses) and is set once it resolves, before the target next runs. `.bpcmds` shows it as
/// `buN Expression;`.
enum BreakpointUnresolved: Command {
  static let names = ["bu"]
  static let summary = "bu[ID] [Address [Passes]] [\"Commands\"]   set an unresolved (symbolic) breakpoint"

  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    return w.hasPrefix("bu") && w.dropFirst(2).allSatisfy(\.isNumber)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    try BreakpointSet.set(inv, in: session, symbolic: true)
  }
}
