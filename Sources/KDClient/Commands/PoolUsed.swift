/// `!poolused [Flags [TagString]]`: outstanding allocations and bytes per tag from nt!PoolTrackTable
/// (one bulk read), legacy x86 layout. Flags: 1 verbose, 2 sort by nonpaged bytes, 4 by paged bytes,
/// 8 session pool (this kernel has none: KD's `Unable to get ExpSessionPoolTrackTable`).
enum PoolUsed: Command {
  static let names = ["!poolused"]
  static let summary = "!poolused [Flags [Tag]]   pool usage per tag (1 verbose, 2/4 sort nonpaged/paged, 8 session)"

  struct Output: CommandOutput {
    enum Sort: String, Codable, Sendable {
      case tag, nonPagedBytes, pagedBytes
    }
    var sort: Sort
    var verbose: Bool
    var entries: [PoolTrackerEntry]

    var lines: [String] {
      let n = { (v: UInt32) in String(v).leftPadded(to: 8) }
      let n64 = { (v: UInt64) in String(v).leftPadded(to: 8) }
      var out: [String] = []
      switch sort {
      case .tag: out.append("   Sorting by Tag")
      case .nonPagedBytes: out.append("   Sorting by NonPaged Pool Consumed")
      case .pagedBytes: out.append("   Sorting by Paged Pool Consumed")
      }
      out.append("")
      out.append("  Pool Used:")
      let t = totals
      if verbose {
        out.append("            NonPaged                    Paged")
        out.append(" Tag    Allocs    Frees     Diff     Used   Allocs    Frees     Diff     Used")
        for e in entries {
          out.append(
            " \(e.tagText) \(n(e.nonPagedAllocs)) \(n(e.nonPagedFrees)) \(n(e.nonPagedOutstanding)) \(n(e.nonPagedBytes))"
              + " \(n(e.pagedAllocs)) \(n(e.pagedFrees)) \(n(e.pagedOutstanding)) \(n(e.pagedBytes))")
        }
        out.append(
          " TOTAL    \(n(t.nonPagedAllocs)) \(n(t.nonPagedFrees)) \(n(t.nonPagedAllocs &- t.nonPagedFrees))"
            + " \(n64(t.nonPagedBytes)) \(n(t.pagedAllocs)) \(n(t.pagedFrees)) \(n(t.pagedAllocs &- t.pagedFrees))"
            + " \(n64(t.pagedBytes))")
      } else {
        out.append("            NonPaged            Paged")
        out.append(" Tag    Allocs     Used    Allocs     Used")
        for e in entries {
          out.append(
            " \(e.tagText) \(n(e.nonPagedOutstanding)) \(n(e.nonPagedBytes))  \(n(e.pagedOutstanding)) \(n(e.pagedBytes))"
          )
        }
        out.append(
          " TOTAL    \(n(t.nonPagedAllocs &- t.nonPagedFrees)) \(n64(t.nonPagedBytes))"
            + "  \(n(t.pagedAllocs &- t.pagedFrees)) \(n64(t.pagedBytes))")
      }
      return out
    }

    /// The sums KD keeps over the rows it prints: 32-bit counts (which wrap, as KD's ULONGs do) and 64-bit bytes.
    var totals:
      (
        nonPagedAllocs: UInt32, nonPagedFrees: UInt32, nonPagedBytes: UInt64, pagedAllocs: UInt32, pagedFrees: UInt32,
        pagedBytes: UInt64
      )
    {
      entries.reduce((0, 0, 0, 0, 0, 0)) {
        (
          $0.0 &+ $1.nonPagedAllocs, $0.1 &+ $1.nonPagedFrees, $0.2 &+ UInt64($1.nonPagedBytes),
          $0.3 &+ $1.pagedAllocs, $0.4 &+ $1.pagedFrees, $0.5 &+ UInt64($1.pagedBytes)
        )
      }
    }

    enum CodingKeys: String, CodingKey { case sort, verbose, entries }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let words = inv.arguments.split(separator: " ").map(String.init)
    guard words.count <= 2 else { throw .syntax(position: inv.argumentsStart) }
    var flags: UInt64 = 0
    if let f = words.first {
      var p = ExpressionParser(f, context: session)
      flags = try p.parse()
    }
    guard flags & 0x6 != 0x6 else { throw .message("Flags 0x2 and 0x4 are mutually exclusive") }
    // Flag 8 reads the session pool's tracker table, which kdexts finds through ExpSessionPoolTrackTable; this
    // kernel has no session pool and exports no such symbol, so KD stops with its message.
    if flags & 0x8 != 0 {
      guard try session.ntSymbol("ExpSessionPoolTrackTable") != nil else {
        throw .message("Unable to get ExpSessionPoolTrackTable")
      }
      throw .message("!poolused 8: the session pool's tracker table is not read by this debugger")
    }
    var matcher: PoolData.TagMatcher?
    if words.count == 2 {
      guard let m = PoolData.TagMatcher(words[1]) else { throw .syntax(position: inv.argumentsStart) }
      matcher = m
    }
    let verbose = flags & 1 != 0
    var entries = try PoolData.trackTable(session)
    if let matcher { entries = entries.filter { matcher.matches($0.tag) } }
    if !verbose { entries = entries.filter { $0.nonPagedBytes != 0 || $0.pagedBytes != 0 } }
    let sort: Output.Sort = flags & 2 != 0 ? .nonPagedBytes : flags & 4 != 0 ? .pagedBytes : .tag
    switch sort {
    case .tag: entries.sort { Array($0.tagText.utf8).lexicographicallyPrecedes(Array($1.tagText.utf8)) }
    case .nonPagedBytes: entries.sort { ($0.nonPagedBytes, $1.tag) > ($1.nonPagedBytes, $0.tag) }
    case .pagedBytes: entries.sort { ($0.pagedBytes, $1.tag) > ($1.pagedBytes, $0.tag) }
    }
    return Output(sort: sort, verbose: verbose, entries: entries)
  }
}
