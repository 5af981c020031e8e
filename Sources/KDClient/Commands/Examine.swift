/// `x [/v] Module!Pattern`: symbols matching a case-insensitive wildcard pattern.
enum Examine: Command {
  static let names = ["x"]
  static let summary = "x Module!Pattern   list symbols matching a wildcard"

  struct Output: CommandOutput {
    struct Row: Codable, Sendable {
      @HexString var address: UInt32
      var module: String
      var name: String
      var size: UInt32
      /// A function from a PDB's public symbols: KD shows `(<no parameter info>)` for it.
      var publicFunction: Bool
    }
    var rows: [Row]
    var verbose: Bool
    var lines: [String] {
      rows.map {
        let prefix =
          verbose
          ? "pub \($0.publicFunction ? "func  " : "global") \(Hex.d8($0.address)) \(String($0.size, radix: 16).leftPadded(to: 4)) "
          : "\(Hex.d8($0.address)) "
        let type = $0.publicFunction ? "(<no parameter info>)" : "= <no type information>"
        return prefix + "\(verbose ? "" : "  ")\($0.module)!\($0.name) \(type)"
      }
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var words = inv.arguments.split(separator: " ").map(String.init)
    let verbose = words.first?.lowercased() == "/v"
    if verbose { words.removeFirst() }
    guard words.count == 1, let spec = words.first else { throw .syntax(position: inv.argumentsStart) }
    let rows = try matching(spec, in: session)
    return Output(rows: rows, verbose: verbose)
  }

  /// The symbols `Module!Pattern` (or a bare pattern, over every module) matches, module by module (`x`, `bm`).
  static func matching(_ spec: String, in session: Session) throws(CommandError) -> [Output.Row] {
    try session.ensureModules()
    let modulePattern: Wildcard
    let symbolPattern: Wildcard
    if let bang = spec.firstIndex(of: "!") {
      modulePattern = Wildcard(String(spec[..<bang]), caseInsensitive: true)
      symbolPattern = Wildcard(Self.underscores(String(spec[spec.index(after: bang)...])), caseInsensitive: true)
    } else {
      modulePattern = Wildcard("*", caseInsensitive: true)
      symbolPattern = Wildcard(Self.underscores(spec), caseInsensitive: true)
    }
    var rows: [Output.Row] = []
    for i in session.symbols.modules.indices where modulePattern.matches(session.symbols.modules[i].name) {
      try session.loadSymbols(moduleAt: i)
      let m = session.symbols.modules[i]
      for s in m.symbols ?? [] where symbolPattern.matches(s.name) {
        rows.append(
          .init(
            address: s.address, module: m.name, name: s.name, size: s.size,
            publicFunction: s.isFunction && m.symbolFile != nil))
      }
    }
    return rows
  }

  /// A leading `_` matches any number of underscores (KD's symbol-pattern rule).
  private static func underscores(_ p: String) -> String {
    p.hasPrefix("_") ? "*" + p.drop { $0 == "_" } : p
  }
}
