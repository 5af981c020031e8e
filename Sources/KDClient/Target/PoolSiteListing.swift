/// Outstanding pool per allocating call site, as the target counts it (ours; `!poolsites`).
public struct PoolSiteListing: Sendable, Equatable, Codable {
  /// The target's virtual time when it answered, 100 ns units.
  public var virtualTime: UInt64
  /// Nominal time between the target's samples, 100 ns units.
  public var sampleInterval: UInt64
  /// When each sample was taken, oldest first.
  public var sampleTimes: [UInt64]
  public var sites: [PoolSiteRecord]

  public init(virtualTime: UInt64, sampleInterval: UInt64, sampleTimes: [UInt64], sites: [PoolSiteRecord]) {
    self.virtualTime = virtualTime
    self.sampleInterval = sampleInterval
    self.sampleTimes = sampleTimes
    self.sites = sites
  }
}

/// One (call site, tag) and the blocks it allocated that are still outstanding.
public struct PoolSiteRecord: Sendable, Equatable, Codable {
  /// Return address into the allocating driver; 0: nt's own allocations and sites past the target's table.
  @HexString public var callSite: UInt32
  @TagString public var tag: UInt32
  /// The `!tagsplit` sub-tag (0: none).
  public var subTag: UInt32
  public var outstandingBlocks: UInt32
  public var outstandingBytes: UInt64
  public var allocations: UInt64
  public var frees: UInt64
  /// Return addresses of the first allocation seen from the site, the call site first.
  public var frames: [UInt32]
  /// Outstanding blocks at each of the listing's samples.
  public var history: [UInt32]

  public init(
    callSite: UInt32, tag: UInt32, subTag: UInt32, outstandingBlocks: UInt32, outstandingBytes: UInt64,
    allocations: UInt64, frees: UInt64, frames: [UInt32], history: [UInt32]
  ) {
    self.callSite = callSite
    self.tag = tag
    self.subTag = subTag
    self.outstandingBlocks = outstandingBlocks
    self.outstandingBytes = outstandingBytes
    self.allocations = allocations
    self.frees = frees
    self.frames = frames
    self.history = history
  }
}

/// A split tag's sub-tag for one call site (`!tagsplit`).
public struct TagSplitAssignment: Sendable, Equatable, Codable {
  @TagString public var tag: UInt32
  public var subTag: UInt32
  @HexString public var callSite: UInt32

  public init(tag: UInt32, subTag: UInt32, callSite: UInt32) {
    self.tag = tag
    self.subTag = subTag
    self.callSite = callSite
  }
}

/// What `tagSplit` does on the target.
public enum TagSplitOperation: Sendable {
  /// Every split tag's sub-tags.
  case list
  /// Split a tag by call site.
  case split
  /// Merge a split tag back (tag 0: every split tag).
  case merge
}
