/// `.help` (and `?` alone): every command with its syntax; marks what needs a halted target and what is
/// ours rather than KD's. In JSON its result lists the commands (`commands`: names and summary), so a script
/// can enumerate them.
enum Help: Command {
  static let names = [".help"]
  static let summary = ".help   this list"

  struct Output: CommandOutput {
    struct Entry: Encodable, Sendable {
      var names: [String]
      var summary: String
    }
    var commands: [Entry]
    var lines: [String]
  }

  static func output() -> Output {
    var lines = ["Commands (KD syntax; * = needs a halted target, + = ours, not in KD):"]
    let halted: Set<String> = ["r", "k", "g", "p", "t", "kd", ".frame", "gu", "pc", "wt", "!poolscan"]
    let ours: Set<String> = [".runfor", "!poolmon", "!poolsites", "!tagsplit", "!pooltrace", "!poolscan"]
    for c in CommandRegistry.commands {
      let h = c.names.contains { halted.contains($0) } ? "*" : " "
      let o = c.names.contains { ours.contains($0) } ? "+" : " "
      lines.append(" \(h)\(o) \(c.summary)")
    }
    lines.append("Expressions are MASM, radix 16: nt!Symbol+0x10, poi(addr), ' cbA' = 0x20636241, 0n10 decimal.")
    lines.append(
      "Several commands on one line: separate with ';'. ENTER repeats d*, u, p, t. Ctrl+C breaks in or cancels.")
    lines += ControlFlowTokens.helpLines
    lines.append(
      "Ours, from the shell: kd poolmon (live PoolMon), kd report --seconds N --out FILE.html (a leak report).")
    return Output(
      commands: CommandRegistry.commands.map { Output.Entry(names: $0.names, summary: $0.summary) }, lines: lines)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    output()
  }
}
