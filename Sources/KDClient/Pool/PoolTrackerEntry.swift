/// One POOL_TRACKER_TABLE entry (28 bytes): a tag's counters in both pools.
public struct PoolTrackerEntry: Sendable, Equatable, Codable {
  /// The tag DWORD in memory order (first character = lowest byte).
  @TagString public var tag: UInt32
  public var nonPagedAllocs: UInt32
  public var nonPagedFrees: UInt32
  public var nonPagedBytes: UInt32
  public var pagedAllocs: UInt32
  public var pagedFrees: UInt32
  public var pagedBytes: UInt32

  public static let size = 28

  public var tagText: String { Ascii.tag(tag) }
  /// Outstanding (live) blocks: what `!poolused` calls Allocs.
  public var nonPagedOutstanding: UInt32 { nonPagedAllocs &- nonPagedFrees }
  public var pagedOutstanding: UInt32 { pagedAllocs &- pagedFrees }

  init(_ b: [UInt8], at o: Int) {
    tag = b.u32(at: o)
    nonPagedAllocs = b.u32(at: o + 4)
    nonPagedFrees = b.u32(at: o + 8)
    nonPagedBytes = b.u32(at: o + 0xc)
    pagedAllocs = b.u32(at: o + 0x10)
    pagedFrees = b.u32(at: o + 0x14)
    pagedBytes = b.u32(at: o + 0x18)
  }
}
