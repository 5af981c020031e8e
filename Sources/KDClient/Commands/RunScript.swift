/// `$<File`, `$><File`, `$$<File`, `$$><File`, `$$>a<File [Args]`: run a script file. The statement scanner
/// takes these tokens (Engine/ScriptSyntax.swift) and the script runner runs them (Engine/ScriptRunner.swift):
/// this entry is what `.help` lists.
enum RunScript: Command {
  static let names = ["$<", "$><", "$$<", "$$><", "$$>a<"]
  static let summary =
    "$<File | $><File | $$<File | $$><File | $$>a<File [Args]   run a script (${$arg1}, ${$n}, ${/d:$arg1})"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    // Only reached when the scanner did not take the token, which it always does.
    throw .syntax(position: 0)
  }
}
