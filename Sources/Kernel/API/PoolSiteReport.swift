/// Outstanding pool per allocating call site (ours, `!poolsites`), as the kernel counts it.
public struct PoolSiteReport: Sendable, Equatable {
  /// Virtual time of the report, 100 ns units.
  public var virtualTime: UInt64
  /// Nominal time between samples, 100 ns units (a sample is taken at the first pool call at or after each
  /// multiple of it).
  public var sampleInterval: UInt64
  /// When each sample was taken, oldest first; every site's `history` has one count per sample.
  public var sampleTimes: [UInt64]
  public var sites: [PoolSiteInfo]

  public init(virtualTime: UInt64, sampleInterval: UInt64, sampleTimes: [UInt64], sites: [PoolSiteInfo]) {
    self.virtualTime = virtualTime
    self.sampleInterval = sampleInterval
    self.sampleTimes = sampleTimes
    self.sites = sites
  }
}

/// One (call site, tag): blocks the site allocated that are still outstanding.
public struct PoolSiteInfo: Sendable, Equatable {
  /// The return address into the allocating driver; 0 for allocations made by nt itself and for sites beyond
  /// the table's capacity (counted together per tag).
  public var callSite: UInt32
  /// The tag the driver passed (protected bit stripped).
  public var tag: UInt32
  /// The sub-tag `!tagsplit` gave the site (0: none).
  public var subTag: UInt32
  public var outstandingBlocks: UInt32
  /// Block bytes, header included, as the tracking table counts them.
  public var outstandingBytes: UInt64
  public var allocations: UInt64
  public var frees: UInt64
  /// Return addresses of the first allocation seen from the site, the call site first (at most 16).
  public var frames: [UInt32]
  /// Outstanding blocks at each sample (``PoolSiteReport/sampleTimes``).
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
public struct PoolTagAssignment: Sendable, Equatable {
  public var tag: UInt32
  public var subTag: UInt32
  public var callSite: UInt32

  public init(tag: UInt32, subTag: UInt32, callSite: UInt32) {
    self.tag = tag
    self.subTag = subTag
    self.callSite = callSite
  }
}
