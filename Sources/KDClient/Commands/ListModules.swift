/// `lm [v] [o] [l] [sm] [m Pattern] [a Address]`: the loaded modules, x86 layout.
enum ListModules: Command {
  static let names = ["lm", "lmv", "lmo", "lml", "lmvm", "lmm", "lma"]
  static let summary = "lm [v] [l] [sm] [m Pattern] [a Address]   list loaded modules"

  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    return w.hasPrefix("lm") && w.dropFirst(2).allSatisfy { "voltkuecsmfipnda1".contains($0) }
  }

  struct Row: Codable, Sendable {
    @HexString var start: UInt32
    @HexString var end: UInt32
    var name: String
    var image: String
    var path: String
    var symbolsLoaded: Bool
    var symbolCount: Int
    var timeDateStamp: UInt32
    var checkSum: UInt32
    var imageSize: UInt32
    /// The PDB the symbols came from (its name as the image's CodeView record gives it); absent for export
    /// symbols or before they are loaded.
    var pdb: String?

    init(_ m: Module) {
      start = m.base
      end = m.end
      name = m.name
      image = m.imageName
      path = m.fullPath
      symbolsLoaded = m.symbols != nil
      symbolCount = m.symbols?.count ?? 0
      timeDateStamp = m.timeDateStamp
      checkSum = m.checkSum
      imageSize = m.size
      pdb = m.symbolFile?.pdbName
    }
  }

  struct Output: CommandOutput {
    var rows: [Row]
    var verbose: Bool
    /// Drivers the target unloaded (nt's unloaded-driver ring), listed after the loaded ones as KD does.
    var unloaded: [UnloadedModule] = []

    var header: [String] { ["start    end        module name"] }

    var lines: [String] {
      var out = header
      for r in rows {
        let status = !r.symbolsLoaded ? "(deferred)" : r.pdb != nil ? "(pdb symbols)" : "(export symbols)"
        let image = r.symbolsLoaded ? r.pdb ?? r.image : ""
        var line =
          "\(Hex.d8(r.start)) \(Hex.d8(r.end))   \(r.name.rightPadded(to: 12)) \(status.rightPadded(to: 23))\(image)"
        while line.hasSuffix(" ") { line.removeLast() }
        out.append(line)
        if verbose {
          if r.symbolsLoaded { out.append("    Loaded symbol image file: \(r.image)") }
          out.append("    Image path: \(r.path)")
          out.append("    Image name: \(r.image)")
          let stamp = Hex.d8(r.timeDateStamp).uppercased()
          out.append("    Timestamp:        \(Formats.Output.time(r.timeDateStamp)) (\(stamp))")
          out.append("    CheckSum:         \(Hex.d8(r.checkSum).uppercased())")
          out.append("    ImageSize:        \(Hex.d8(r.imageSize).uppercased())")
        }
      }
      if !unloaded.isEmpty {
        out.append("")
        out.append("Unloaded modules:")
        for u in unloaded { out.append("\(Hex.d8(u.start)) \(Hex.d8(u.end))   \(u.name)") }
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    try session.ensureModules()
    var options = String(inv.name.lowercased().dropFirst(2))
    var pattern: Wildcard?
    var address: UInt32?
    var p = inv.parser(session)
    while !p.atEnd {
      let at = p.position
      let c = Character(p.chars[p.position].lowercased())
      let rest = p.chars[p.position...].prefix(3).map { Character($0.lowercased()) }
      if rest.starts(with: ["s", "m"]), rest.count == 2 || rest[2] == " " {
        options += "sm"  // sort by name, not `s` then `m Pattern`
        p.position += 2
      } else if c == "m" {
        p.position += 1
        p.skipSpaces()
        let start = p.position
        while p.position < p.chars.count, p.chars[p.position] != " " { p.position += 1 }
        guard p.position > start else { throw .syntax(position: at) }
        pattern = Wildcard(String(p.chars[start..<p.position]), caseInsensitive: true)
      } else if c == "a" {
        p.position += 1
        address = try p.parseAddress()
      } else if c.isLetter {
        options.append(c)
        p.position += 1
      } else {
        throw .syntax(position: at)
      }
    }
    if options.hasSuffix("m") && !options.hasSuffix("sm") && pattern == nil {
      throw .syntax(position: inv.argumentsStart)
    }
    var modules = session.symbols.modules
    if let pattern { modules = modules.filter { pattern.matches($0.name) } }
    if let address { modules = modules.filter { $0.contains(address) } }
    if options.contains("l") { modules = modules.filter { $0.symbols != nil } }
    if options.contains("sm") { modules.sort { $0.name.lowercased() < $1.name.lowercased() } }
    // `o` lists only loaded modules, `l` only those with symbols, `a` the one at an address.
    var unloaded: [UnloadedModule] = []
    if !options.contains("o") && !options.contains("l") && address == nil {
      unloaded = try UnloadedModule.read(session)
      if let pattern { unloaded = unloaded.filter { pattern.matches($0.name) } }
    }
    return Output(rows: modules.map(Row.init), verbose: options.contains("v"), unloaded: unloaded)
  }
}
