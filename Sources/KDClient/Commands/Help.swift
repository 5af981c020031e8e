/// `.help` (and `?` alone): every command with its syntax; marks what needs a halted target and what is
/// ours rather than KD's.
enum Help: Command {
  static let names = [".help"]
  static let summary = ".help   this list"

  static func output() -> TextOutput {
    var lines = ["Commands (KD syntax; * = needs a halted target, + = ours, not in KD):"]
    let halted: Set<String> = ["r", "k", "g", "p", "t", "kd", ".frame", "gu", "pc"]
    let ours: Set<String> = [".runfor", "!poolmon", "!poolsites", "!tagsplit", "!pooltrace"]
    for c in CommandRegistry.commands {
      let h = c.names.contains { halted.contains($0) } ? "*" : " "
      let o = c.names.contains { ours.contains($0) } ? "+" : " "
      lines.append(" \(h)\(o) \(c.summary)")
    }
    lines.append("Expressions are MASM, radix 16: nt!Symbol+0x10, poi(addr), ' cbA' = 0x20636241, 0n10 decimal.")
    lines.append(
      "Several commands on one line: separate with ';'. ENTER repeats d*, u, p, t. Ctrl+C breaks in or cancels.")
    return TextOutput(lines)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    output()
  }
}
