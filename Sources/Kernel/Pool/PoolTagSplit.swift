/// Virtual tag splitting (ours, `!tagsplit`): while a tag is split, each call site allocating it gets its own
/// sub-tag, substituted at allocation time, so `!poolused`, `!poolfind` and PoolMon tell the sites apart without
/// a code byte patched. Sub-tag n of tag `b0 b1 b2 b3` (memory order) is `b0 b1 d b3`, d the n-th character of
/// ``digits`` (`Abc ` -> `Ab1 `, `Ab2 `, ... as the seed's `ed` patch makes them); a candidate already in the
/// tracking table is skipped; a tag's 36th site and later keep the tag itself. Merging back rewrites the
/// outstanding blocks' tags and folds the sub-tags' tracking entries into the tag's, exactly.
struct PoolTagSplit {
  static let digits = Array("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

  /// Split tags (protected bit stripped) -> how many sub-tag candidates each has used.
  private(set) var split: [UInt32: Int] = [:]
  /// Sub-tag -> the tag it splits.
  private(set) var parent: [UInt32: UInt32] = [:]

  func isSplit(_ tag: UInt32) -> Bool { split[tag] != nil }

  mutating func start(_ tag: UInt32) {
    if split[tag] == nil { split[tag] = 0 }
  }

  /// The next sub-tag of `tag` for a new site; nil when the tag has run out of them. `inUse` says whether a
  /// candidate is a tag the tracking table has already.
  mutating func nextSubTag(of tag: UInt32, inUse: (UInt32) -> Bool) -> UInt32? {
    guard var n = split[tag] else { return nil }
    defer { split[tag] = n }
    while n < Self.digits.count {
      let candidate = tag & 0xff00_ffff | UInt32(Self.digits[n]) << 16
      n += 1
      if candidate != tag, parent[candidate] == nil, !inUse(candidate) {
        parent[candidate] = tag
        return candidate
      }
    }
    return nil
  }

  /// Ends the split of `tag`; returns its sub-tags.
  mutating func end(_ tag: UInt32) -> [UInt32] {
    split[tag] = nil
    let subs = parent.filter { $0.value == tag }.map(\.key)
    for s in subs { parent[s] = nil }
    return subs
  }
}
