/// `.reload [/f] [/l] [/n]`: walks nt!PsLoadedModuleList in target memory; `/f` fetches every module's
/// symbols now (otherwise they load on first use). Prints KD's progress block.
enum Reload: Command {
  static let names = [".reload"]
  static let summary = ".reload [/f] [/l]   reload the module list from the target (/f: symbols now)"

  struct Output: CommandOutput {
    var modules: [String]
    var listOnly: Bool
    /// User-mode modules of the current process: none, since the simulated kernel runs no user mode.
    var userModules: [String] = []
    var unloadedModules: [String] = []
    var lines: [String] {
      if listOnly { return ListModules.Output(rows: [], verbose: false).header }
      let kernel = Self.progress("Loading Kernel Symbols", modules.count)
      let user = Self.progress("Loading User Symbols", userModules.count)
      return kernel + user + Self.progress("Loading unloaded module list", unloadedModules.count)
    }

    /// A heading and a dot per item, 64 to a row (a heading with no items is followed by an empty row).
    static func progress(_ heading: String, _ count: Int) -> [String] {
      var out = [heading]
      var dots = String(repeating: ".", count: count)
      while dots.count > 64 {
        out.append(String(dots.prefix(64)))
        dots = String(dots.dropFirst(64))
      }
      out.append(dots)
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let options = inv.arguments.split(separator: " ").map { $0.lowercased() }
    for (i, o) in options.enumerated() where !["/f", "/l", "/n", "/s", "/i", "/v"].contains(o) {
      _ = i
      throw .message("Unsupported option '\(o)' (supported: /f /l /n /s /i /v)")
    }
    if options.contains("/l") {
      try session.ensureModules()
      return ListModules.Output(rows: session.symbols.modules.map(ListModules.Row.init), verbose: false)
    }
    try session.reloadModules(loadSymbols: options.contains("/f") || options.contains("/i"))
    return Output(
      modules: session.symbols.modules.map(\.name), listOnly: false,
      unloadedModules: try UnloadedModule.read(session).map(\.name))
  }
}
