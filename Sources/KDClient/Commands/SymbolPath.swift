/// `.sympath` / `.symfix`: there is no symbol path and no symbol server here. Symbols come from the target over
/// the protocol (each driver's PDB public symbols, which the target reads from the PDB beside its image, and
/// nt's export table; fetched on first use or by `.reload /f`), so both commands only say
/// so; a path given to them is refused rather than stored unused.
enum SymbolPath: Command {
  static let names = [".sympath", ".symfix"]
  static let summary = ".sympath, .symfix   where symbols come from (ours: the target; no symbol server)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let note = [
      "Symbol search path is: <none>: symbols come from the target, over the debugger protocol",
      "(a driver's PDB public symbols, nt's export table; fetched on first use or by .reload /f);",
      "there is no symbol server and no PDB path on this side.",
    ]
    guard inv.arguments.isEmpty else {
      let reason = String(note[0].dropFirst("Symbol search path is: <none>: ".count))
      throw .message("\(inv.name.lowercased()) takes no path here: \(reason)")
    }
    return TextOutput(note)
  }
}
