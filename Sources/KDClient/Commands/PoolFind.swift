/// `!poolfind TagString|0xTagValue [PoolType]`: the big-page table first, then every block header of the
/// pool (bulk reads, page by page). PoolType 0 nonpaged (default), 1 paged, 2 special, 4 session.
enum PoolFind: Command {
  static let names = ["!poolfind"]
  static let summary = "!poolfind Tag|0xValue [PoolType]   find pool blocks by tag (0 nonpaged, 1 paged)"
  static let chunk = 1024 * 1024

  struct Output: CommandOutput {
    struct Hit: Codable, Sendable {
      @HexString var address: UInt32
      var size: UInt32
      var previousSize: UInt32
      var allocated: Bool
      @TagString var tag: UInt32
      var protected: Bool
      var large: Bool
    }
    var tag: String
    var pool: PoolData.PoolKind?
    @HexString var bigPageTable: [UInt32]
    /// The ranges searched, in order, as [start, end] pairs: nonpaged pool has two (initial and expansion).
    var regions: [Region]
    var hits: [Hit]
    var bytesScanned: Int
    var note: String?

    /// `tag` is the pattern searched for (wildcards allowed), not a tag: JSON calls it `pattern`.
    private enum CodingKeys: String, CodingKey {
      case tag = "pattern", pool, bigPageTable, regions, hits, bytesScanned, note
    }

    struct Region: Codable, Sendable {
      @HexString var start: UInt32
      @HexString var end: UInt32
      func contains(_ a: UInt32) -> Bool { a >= start && a < end }
    }

    var lines: [String] {
      var out = [""]
      if bigPageTable.count == 2 {
        out.append(
          "Scanning large pool allocation table for Tag: \(tag) (\(Hex.d8(bigPageTable[0])) : \(Hex.d8(bigPageTable[1])))"
        )
        out.append("")
      }
      for h in hits where h.large {
        let how = h.allocated ? " is" : "was"
        out.append(
          "*\(Hex.d8(h.address)) :\(h.allocated ? "" : "free ")large page allocation, Tag \(how) \(Ascii.tag(h.tag & 0x7fff_ffff)), size \(how) 0x\(String(h.size, radix: 16)) bytes"
        )
      }
      if hits.contains(where: \.large) { out.append("") }
      if let pool {
        for (i, region) in regions.enumerated() {
          if i > 0 { out.append("") }
          out.append(
            "Searching \(pool.rawValue) pool (\(Hex.d8(region.start)) : \(Hex.d8(region.end))) for Tag: \(tag)")
          out.append("")
          for h in hits where !h.large && region.contains(h.address) {
            let size = String(h.size, radix: 16).leftPadded(to: 4)
            let prev = String(h.previousSize, radix: 16).leftPadded(to: 4)
            let state = h.allocated ? " (Allocated) " : " (Free)      "
            out.append(
              "\(Hex.d8(h.address)) size: \(size) previous size: \(prev) \(state)\(Ascii.tag(h.tag & 0x7fff_ffff))\(h.protected ? " (Protected)" : "")"
            )
          }
        }
      }
      if let note { out.append(note) }
      return out
    }
  }

  /// The first readable page at or after `page` (below `end`): the next 16 pages one by one, then every
  /// 64 KiB boundary (pools grow in large steps; a probe per page over a 200 MiB hole would take long).
  static func nextReadable(after page: UInt32, end: UInt32, _ session: Session) throws(CommandError) -> UInt32? {
    var p = page
    var probes = 0
    while p < end {
      let at = p
      let got = try session.targetCall { () throws(TargetError) in try session.target.readVirtual(at, count: 1) }
      if !got.isEmpty { return p }
      probes += 1
      let step: UInt32 = probes < 16 ? 0x1000 : 0x1_0000 - (p & 0xffff)
      guard p &+ step > p else { return nil }
      p = p &+ step
    }
    return nil
  }

  /// KD's reading of the arguments: the first four characters as typed are the tag (a shorter one padded
  /// with spaces, none at all = four spaces), then a hex pool type (none = 0); a `0x` value is a tag DWORD.
  /// So `!poolfind Abc 1` is tag `Abc ` in paged pool, and `!poolfind Ab 1` is tag `Ab 1` in nonpaged pool.
  static func arguments(_ text: String) -> (tag: String, poolType: UInt64)? {
    if text.hasPrefix("0x") {
      let words = text.split(separator: " ")
      return words.count <= 2 ? (String(words[0]), words.count == 2 ? hexPrefix(words[1]) : 0) : nil
    }
    let chars = Array(text)
    var tag = String(chars.prefix(4)).rightPadded(to: 4)
    if let star = tag.firstIndex(of: "*") { tag = String(tag[...star]) }  // `*` matches the rest
    return (tag, hexPrefix(Substring(String(chars.dropFirst(4)))))
  }

  /// The hex number at the start of `text` after spaces, as `sscanf(" %lx")` reads it (0 when there is none).
  static func hexPrefix(_ text: Substring) -> UInt64 {
    var t = text.drop { $0 == " " || $0 == "\t" }
    if t.hasPrefix("0x") || t.hasPrefix("0X") { t = t.dropFirst(2) }
    let digits = t.prefix { $0.isHexDigit }.prefix(16)
    return UInt64(digits, radix: 16) ?? 0
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    guard let (tag, type) = arguments(inv.arguments), let matcher = PoolData.TagMatcher(tag),
      [0, 1, 2, 4].contains(type)
    else {
      throw .syntax(position: inv.argumentsStart)
    }
    let poolType = Int(type)
    if poolType == 2 || poolType == 4 {
      let note =
        poolType == 2
        ? "The \(matcher.display) tag could not be found in special pool."
        : "The \(matcher.display) tag could not be found in session pool."
      return Output(
        tag: matcher.display, pool: nil, bigPageTable: [], regions: [], hits: [], bytesScanned: 0, note: note)
    }
    let kind: PoolData.PoolKind = poolType == 1 ? .paged : .nonPaged
    var hits: [Output.Hit] = []
    let big = try PoolData.bigPageTable(session)
    let regions = try PoolData.ranges(session, kind).map { Output.Region(start: $0.start, end: $0.end) }
    for e in big.entries where !(e.va == 0) && matcher.matches(e.tag & 0x7fff_ffff) {
      let va = e.va & ~1
      // Big pages of the pool being searched (KD lists the whole table; we keep the requested type).
      guard regions.contains(where: { $0.contains(va) }) else { continue }
      hits.append(
        .init(
          address: va, size: UInt32(clamping: e.bytes), previousSize: 0, allocated: !e.free, tag: e.tag,
          protected: false,
          large: true))
    }
    var scanned = 0
    var note: String?
    var searched: [Output.Region] = []
    for region in regions where note == nil {
      searched.append(region)
      note = try scan(region, matcher, session, hits: &hits, scanned: &scanned)
    }
    return Output(
      tag: matcher.display, pool: kind, bigPageTable: [big.start, big.end], regions: searched, hits: hits,
      bytesScanned: scanned, note: note)
  }

  /// Reads `region` in large chunks and collects the blocks whose tag matches; returns KD's terminating line
  /// when the user interrupted the search.
  static func scan(
    _ region: Output.Region, _ matcher: PoolData.TagMatcher, _ session: Session, hits: inout [Output.Hit],
    scanned: inout Int
  ) throws(CommandError) -> String? {
    var a = region.start & ~0xfff
    while a < region.end {
      if session.interruptRequested() { return "...terminating - searched pool to \(Hex.d8(a))" }
      let n = Int(min(UInt32(chunk), region.end - a))
      let start = a
      let bytes = try session.targetCall { () throws(TargetError) in try session.target.readVirtual(start, count: n) }
      scanned += bytes.count
      var page = 0
      while page + 0x1000 <= bytes.count || (page < bytes.count && bytes.count == n) {
        let slice = bytes[page..<min(page + 0x1000, bytes.count)]
        for b in PoolData.blocks(inPage: a &+ UInt32(page), bytes: slice) where matcher.matches(b.plainTag) {
          hits.append(
            .init(
              address: b.address, size: b.size, previousSize: b.previousSize, allocated: b.allocated, tag: b.tag,
              protected: b.protected, large: false))
        }
        page += 0x1000
      }
      if bytes.count == n {
        a = a &+ UInt32(n)
        if a < start { break }
        continue
      }
      // A short read stopped at an unmapped page: skip the whole gap when the target can say how long it
      // is (one request), else probe for where the pool is mapped again.
      let gapStart = (a &+ UInt32(bytes.count)) & ~0xfff
      let gap = try session.targetCall { () throws(TargetError) in try session.target.unmappedExtent(at: gapStart) }
      if let gap, gap >= 0x1000 {
        let next = UInt64(gapStart) + (gap & ~0xfff)
        guard next < UInt64(region.end) else { break }
        a = UInt32(next)
        continue
      }
      guard let resume = try nextReadable(after: gapStart, end: region.end, session) else { break }
      a = resume
    }
    return nil
  }
}
