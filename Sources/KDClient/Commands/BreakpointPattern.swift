/// `bm [/a] [/d] Module!Pattern [Passes] ["Commands"]`: a breakpoint on every symbol matching the wildcard (`x`'s
/// matching), one line per breakpoint as KD prints them (`  3: f7a02160 @!"Abc!CacheAlloc"`). Without `/d` each
/// is symbolic (`.bpcmds`: `bu3 @!"Abc!CacheAlloc";`), with `/d` an address breakpoint (`bp3 0xf7a02160 ;`). A
/// symbol that already has a breakpoint keeps it (`breakpoint N redefined`). None matching:
/// `No matching code symbols found, no breakpoints set.` `/a` (data symbols too) sets the same breakpoints as
/// plain `bm` here: the target's export symbols carry no code/data kind and its images are mapped executable.
enum BreakpointPattern: Command {
  static let names = ["bm"]
  static let summary = "bm [/a] [/d] Module!Pattern [Passes] [\"Commands\"]   set breakpoints on matching symbols"

  struct Output: CommandOutput {
    struct Row: Codable, Sendable {
      var id: Int
      @HexString var address: UInt32
      var symbol: String
    }
    var notes: [String]
    var rows: [Row]
    var lines: [String] {
      notes + rows.map { "\(String($0.id).leftPadded(to: 3)): \(Hex.d8($0.address)) @!\"\($0.symbol)\"" }
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var byAddress = false
    while true {
      p.skipSpaces()
      guard p.position + 1 < p.chars.count, p.chars[p.position] == "/" else { break }
      switch p.chars[p.position + 1].lowercased() {
      case "a": break
      case "d": byAddress = true
      default: throw .syntax(position: p.position)
      }
      p.position += 2
    }
    let patternAt = p.position
    var end = patternAt
    while end < p.chars.count, p.chars[end] != " ", p.chars[end] != "\"" { end += 1 }
    let spec = String(p.chars[patternAt..<end])
    guard !spec.isEmpty else { throw .syntax(position: patternAt) }
    p.position = end
    p.skipSpaces()
    let (passes, commands) = try Breakpoint.parsePassesAndCommands(&p)
    let matches = try Examine.matching(spec, in: session)
    guard !matches.isEmpty else { return TextOutput(["No matching code symbols found, no breakpoints set."]) }
    var output = Output(notes: [], rows: [])
    for m in matches {
      let name = "\(m.module)!\(m.name)"
      let existing = session.breakpoints.values.first { $0.address == m.address && $0.processor == nil }
      let (id, notes) = try session.takeBreakpointID(existing?.id)
      output.notes += notes
      var bp = Breakpoint(
        id: id, address: m.address, expression: byAddress ? "0x" + Hex.d8(m.address) : "@!\"\(name)\"", enabled: true,
        passes: passes, initialPasses: passes, commands: commands, handle: nil)
      bp.symbolic = !byAddress
      bp.handle = try BreakpointSet.insertNow(bp, session)
      session.breakpoints[id] = bp
      output.rows.append(.init(id: id, address: m.address, symbol: name))
    }
    return output
  }
}
