/// `.bpcmds`: the commands that would set the current breakpoints again, one a line, as KD's doc shows them
/// (`bp2 0x00421600 ;`); a pass count and quoted commands go where `bp` takes them, and a disabled breakpoint is
/// followed by `bd N` (ours: KD's doc does not show one). A processor breakpoint comes back as `baN w 4 0x… ;`.
enum BreakpointCommands: Command {
  static let names = [".bpcmds"]
  static let summary = ".bpcmds   the bp commands that recreate the breakpoints"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    var lines: [String] = []
    for bp in session.breakpoints.values.sorted(by: { $0.id < $1.id }) {
      var line = "bp\(bp.id) 0x\(Hex.d8(bp.address)) "
      // `bu`/`bm` ones keep their expression, with no space before the `;` (KD's doc: `bu3 @!"myprog!openFile";`).
      if bp.symbolic { line = "bu\(bp.id) \(bp.expression)" }
      if let processor = bp.processor {
        line = "ba\(bp.id) \(processor.access.rawValue) \(processor.size) 0x\(Hex.d8(bp.address)) "
      }
      if bp.symbolic && (bp.initialPasses != 1 || bp.commands != nil) { line += " " }
      if bp.initialPasses != 1 { line += "0x\(String(bp.initialPasses, radix: 16)) " }
      if let c = bp.commands { line += "\"\(StatementScanner.escaped(c))\" " }
      lines.append(line + ";")
      if !bp.enabled { lines.append("bd \(bp.id) ;") }
    }
    return TextOutput(lines)
  }
}
