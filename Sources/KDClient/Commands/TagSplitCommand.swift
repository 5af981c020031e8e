/// `!tagsplit Tag`, `!tagsplit -off [Tag]`, `!tagsplit` (ours; KD has no such command): virtual tag splitting.
/// While a tag is split the target gives each call site allocating it its own sub-tag (`Abc ` -> `Ab1 `, `Ab2 `,
/// ...: the third character becomes 1-9 then A-Z, skipping tags already in use), substituted at allocation time,
/// so `!poolused`, `!poolfind` and PoolMon tell the sites apart with no code byte patched. `-off` merges back
/// exactly: outstanding blocks get the tag again and the sub-tags' counters fold into the tag's. Without an
/// argument, lists the sub-tags in force.
enum TagSplitCommand: Command {
  static let names = ["!tagsplit"]
  static let summary = "!tagsplit Tag | -off [Tag]   give each call site of a tag its own sub-tag (ours)"

  struct Output: CommandOutput {
    enum Action: String, Codable, Sendable {
      case list, split, merge
    }
    struct Row: Codable, Sendable {
      var tag: String
      var subTag: String
      var callSite: UInt32
      var name: String
    }
    var action: Action
    var tag: String?
    var rows: [Row]

    var lines: [String] {
      var out: [String] = []
      switch action {
      case .list:
        out.append(rows.isEmpty ? "No tag is split (ours: !tagsplit Tag)" : "Split tags (ours):")
      case .split:
        out.append("Tag \(tag ?? "") split by call site (ours): its allocations from now on carry these tags")
      case .merge:
        out.append(
          rows.isEmpty
            ? "Nothing to merge: \(tag.map { "tag \($0) is" } ?? "no tag is") split"
            : "Merged back (ours): these sub-tags' blocks and counters are \(tag ?? "their tags'") again")
      }
      for r in rows { out.append(" \(r.subTag)  \(r.tag)  \(r.name)") }
      if action == .split {
        out.append(" (call sites not seen yet get the next sub-tags as they first allocate; blocks already")
        out.append(" allocated keep \(tag ?? "the tag"); !tagsplit -off \(tag?.trimmingSpaces ?? "") merges back)")
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let words = inv.arguments.split(separator: " ").map(String.init)
    let action: Output.Action
    var tag: UInt32 = 0
    switch words.count {
    case 0: action = .list
    case 1 where words[0] == "-off": action = .merge
    case 1: action = .split
    case 2 where words[0] == "-off": action = .merge
    default: throw .syntax(position: inv.argumentsStart)
    }
    if let text = words.last, text != "-off" {
      guard let value = tagValue(text) else {
        throw .message("\(text): not a pool tag (1 to 4 characters, or 0x and 8 hex digits)")
      }
      tag = value
    }
    let operation: TagSplitOperation =
      switch action {
      case .list: .list
      case .split: .split
      case .merge: .merge
      }
    let assignments = try session.targetCall { () throws(TargetError) in
      try session.target.tagSplit(operation, tag: tag)
    }
    var rows: [Output.Row] = []
    for a in assignments {
      let name = a.callSite == 0 ? "(nt, or past the site table)" : try session.symbolOrAddress(a.callSite)
      rows.append(Output.Row(tag: Ascii.tag(a.tag), subTag: Ascii.tag(a.subTag), callSite: a.callSite, name: name))
    }
    return Output(action: action, tag: tag == 0 ? nil : Ascii.tag(tag), rows: rows)
  }

  /// A tag as typed: up to four characters (padded with spaces, memory order), or `0x` and its value.
  static func tagValue(_ text: String) -> UInt32? {
    if text.hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16).flatMap { $0 == 0 ? nil : $0 } }
    let bytes = Array(text.utf8)
    guard (1...4).contains(bytes.count), bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
    return (bytes + [0x20, 0x20, 0x20]).prefix(4).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
  }
}
