#if canImport(Glibc)
  import Glibc
#endif

/// `.cls`: clears the console screen (on a terminal; elsewhere, and with `--json`, it does nothing).
enum ClearScreen: Command {
  static let names = [".cls"]
  static let summary = ".cls   clear the screen"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    if let stream = session.stream, isatty(STDOUT_FILENO) == 1 { stream("\u{1b}[H\u{1b}[2J\u{1b}[3J") }
    return TextOutput()
  }
}
