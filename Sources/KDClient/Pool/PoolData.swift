/// Reading the kernel's pool bookkeeping through memory, as a KD extension does: NtGlobalFlag, the tag
/// tracking table, the big-page table, the pool ranges and block headers.
enum PoolData {
  static let taggingFlag: UInt32 = 0x400
  static let taggingOff = "unable to get PoolTrackTable - pool tagging is disabled, enable it to use this command"

  static func globalFlag(_ s: Session) throws(CommandError) -> (address: UInt32, value: UInt32) {
    guard let a = try s.ntSymbol("NtGlobalFlag") else { throw .message("Couldn't resolve error at 'nt!NtGlobalFlag'") }
    guard let v = try s.readU32(a) else { throw .message("Unable to read nt!NtGlobalFlag at \(Hex.d8(a))") }
    return (a, v)
  }

  /// Windows 2000 and XP (builds before 3790) tag pool allocations only with FLG_POOL_ENABLE_TAGGING in
  /// NtGlobalFlag; Windows Server 2003 and later always do.
  static func taggingEnabled(_ s: Session) throws(CommandError) -> Bool {
    if try s.version().build >= 3790 { return true }
    return try globalFlag(s).value & taggingFlag != 0
  }

  /// Reads a pointer-valued or ULONG `nt!` global.
  static func global(_ s: Session, _ name: String) throws(CommandError) -> UInt32 {
    guard let a = try s.ntSymbol(name) else { throw .message("Couldn't resolve error at 'nt!\(name)'") }
    guard let v = try s.readU32(a) else { throw .message("Unable to read nt!\(name) at \(Hex.d8(a))") }
    return v
  }

  /// The whole tracking table in one bulk read; throws KD's message when tagging is off.
  static func trackTable(_ s: Session) throws(CommandError) -> [PoolTrackerEntry] {
    guard try taggingEnabled(s) else { throw .message(taggingOff) }
    let table = try global(s, "PoolTrackTable")
    let count = Int(try global(s, "PoolTrackTableSize"))
    guard table != 0, count > 0, count <= 1 << 20 else { throw .message(taggingOff) }
    guard let bytes = try s.readExact(table, count: count * PoolTrackerEntry.size) else {
      throw .message("unable to read PoolTrackTable at \(Hex.d8(table))")
    }
    return (0..<count).map { PoolTrackerEntry(bytes, at: $0 * PoolTrackerEntry.size) }.filter { $0.tag != 0 }
  }

  struct BigPage: Sendable, Codable {
    @HexString var va: UInt32
    @TagString var tag: UInt32
    var pages: UInt32
    /// The allocation's size: computed in 64 bits, since `pages` comes from target memory (a corrupt entry
    /// may hold any value).
    var bytes: UInt64 { UInt64(pages) * 0x1000 }
    var free: Bool { va == 0 || va & 1 != 0 }
  }

  static func bigPageTable(_ s: Session) throws(CommandError) -> (start: UInt32, end: UInt32, entries: [BigPage]) {
    let table = try global(s, "PoolBigPageTable")
    let count = Int(try global(s, "PoolBigPageTableSize"))
    guard table != 0, count > 0, count <= 1 << 20 else { return (table, table, []) }
    let bytes = try s.readBytes(table, count: count * 12)
    var entries: [BigPage] = []
    for i in 0..<count {
      let slice = bytes[(i * 12)..<(i * 12 + 12)]
      guard !slice.contains(where: { $0 == nil }) else { continue }
      let b = slice.map { $0! }
      entries.append(BigPage(va: b.u32(at: 0), tag: b.u32(at: 4), pages: b.u32(at: 8)))
    }
    return (table, table &+ UInt32(count * 12), entries)
  }

  enum PoolKind: String, Sendable, Codable {
    case nonPaged = "NonPaged"
    case paged = "Paged"
  }

  /// A pool's address ranges as KD searches them: nonpaged pool is XP's initial range
  /// (`MmNonPagedPoolStart` to `MmNonPagedPoolEnd0`) and its expansion (`MmNonPagedPoolExpansionStart` to
  /// `MmNonPagedPoolEnd`); paged pool is one range.
  static func ranges(_ s: Session, _ kind: PoolKind) throws(CommandError) -> [(start: UInt32, end: UInt32)] {
    switch kind {
    case .nonPaged:
      [
        (try global(s, "MmNonPagedPoolStart"), try global(s, "MmNonPagedPoolEnd0")),
        (try global(s, "MmNonPagedPoolExpansionStart"), try global(s, "MmNonPagedPoolEnd")),
      ]
    case .paged: [(try global(s, "MmPagedPoolStart"), try global(s, "MmPagedPoolEnd"))]
    }
  }

  /// A POOL_HEADER as it sits at the start of each block.
  struct Block: Sendable, Codable {
    @HexString var address: UInt32
    var previousSize: UInt32
    var size: UInt32
    var poolType: UInt32
    @TagString var tag: UInt32
    var allocated: Bool { poolType != 0 }
    var protected: Bool { tag & 0x8000_0000 != 0 }
    var plainTag: UInt32 { tag & 0x7fff_ffff }

    init(address: UInt32, header: UInt32, tag: UInt32) {
      self.address = address
      previousSize = (header & 0x1ff) * 8
      size = ((header >> 16) & 0x1ff) * 8
      poolType = header >> 25
      self.tag = tag
    }
  }

  /// The pool `address` lies in, nil for none.
  static func kind(_ session: Session, _ address: UInt32) throws(CommandError) -> PoolKind? {
    for kind in [PoolKind.nonPaged, .paged] {
      let ranges = try ranges(session, kind)
      if ranges.contains(where: { address >= $0.start && address < $0.end }) { return kind }
    }
    return nil
  }

  /// KD's name for the region `address` lies in (`!pool`, `!poolval`): `Nonpaged pool`, `Paged pool`, `Unknown`.
  static func regionName(_ session: Session, _ address: UInt32) throws(CommandError) -> String {
    try kind(session, address).map { $0 == .nonPaged ? "Nonpaged pool" : "Paged pool" } ?? "Unknown"
  }

  /// The blocks chained from a page start; stops at a zero or overlong size.
  static func blocks(inPage page: UInt32, bytes: ArraySlice<UInt8>) -> [Block] {
    var out: [Block] = []
    var offset = 0
    let base = bytes.startIndex
    func u32(_ o: Int) -> UInt32 {
      UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
    while offset + 8 <= 0x1000, offset + 8 <= bytes.count {
      let block = Block(address: page &+ UInt32(offset), header: u32(base + offset), tag: u32(base + offset + 4))
      guard block.size > 0, offset + Int(block.size) <= 0x1000 else { break }
      out.append(block)
      offset += Int(block.size)
    }
    return out
  }

  /// A tag argument: a `0x…` value (lowercase prefix, as KD) or a string, `*`/`?` wildcards, padded to 4.
  struct TagMatcher: Sendable {
    let value: UInt32?
    let pattern: Wildcard?
    let display: String

    init?(_ text: String) {
      if text.hasPrefix("0x") {
        guard let v = UInt32(text.dropFirst(2), radix: 16) else { return nil }
        value = v
        pattern = nil
        display = Ascii.tag(v)
      } else {
        guard !text.isEmpty else { return nil }
        let padded = text.contains("*") ? text : String(text.prefix(4)).rightPadded(to: 4)
        value = nil
        pattern = Wildcard(padded, caseInsensitive: false)
        display = padded
      }
    }

    func matches(_ tag: UInt32) -> Bool {
      if let value { return tag == value }
      return pattern?.matches(Ascii.tag(tag)) ?? false
    }
  }
}
