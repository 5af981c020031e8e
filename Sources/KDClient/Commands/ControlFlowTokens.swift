/// The control flow tokens of a debugger command program: `.if (c) { … } .elsif (c) { … } .else { … }`,
/// `j Expr 'Cmd1' ; 'Cmd2'`, `.for (Init ; Cond ; Incr) { … }`, `.while (c) { … }`,
/// `.foreach [/pS n] [/ps n] (Var { Cmds }) { … }` (`/s (Var "String")`, `/f (Var "File")`), `.block { … }`,
/// `.break`, `.continue`. The statement scanner takes them (Engine/ScriptSyntax.swift) and the script runner
/// runs them (Engine/ScriptRunner.swift): this entry is what `.help` lists.
enum ControlFlowTokens: Command {
  static let names = [".if", ".elsif", ".else", "j", ".for", ".while", ".foreach", ".block", ".break", ".continue"]
  static let summary =
    ".if/.elsif/.else, j, .for, .while, .foreach, .block, .break, .continue   control flow (blocks may span script lines)"

  /// `.help`'s lines on scripting: the pseudo-registers, and where scripting here differs from KD
  /// (docs/COMMANDS.md, "Scripting", has the details).
  static let helpLines = [
    "Pseudo-registers: $t0-$t19 (r $t0 = 1; ? @$t0), $ip, $ra, $csp, $retreg, $thread, $proc, $bpN.",
    "Scripts differ from KD: $< and $$< (and --script) run a statement that spans lines whole; a failed command",
    "  in a script adds '  in script FILE:LINE'; ${$n} (the argument count) is ours; .printf always ends its line,",
    "  and its %s takes a quoted string; .logopen /d is not taken.",
  ]

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    // Only reached for a token the scanner refused; it reports those itself.
    throw .syntax(position: 0)
  }
}
