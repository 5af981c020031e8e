/// A reachability scan of the target's pools (ours; `!poolscan`): per allocating call site, the outstanding blocks
/// found and how many of them no pointer reaches ("lost").
public struct PoolScanListing: Sendable, Equatable, Codable {
  /// The target's virtual time of the scan, 100 ns units.
  public var virtualTime: UInt64
  public var blocks: UInt32
  public var bytes: UInt64
  public var lostBlocks: UInt32
  public var lostBytes: UInt64
  /// Bytes of roots the scan read (module images, the KPCR, live stacks, registers).
  public var rootBytes: UInt64
  /// Threads whose registers and stack were roots.
  public var threads: UInt32
  public var sites: [PoolScanRecord]

  public init(
    virtualTime: UInt64, blocks: UInt32, bytes: UInt64, lostBlocks: UInt32, lostBytes: UInt64, rootBytes: UInt64,
    threads: UInt32, sites: [PoolScanRecord]
  ) {
    self.virtualTime = virtualTime
    self.blocks = blocks
    self.bytes = bytes
    self.lostBlocks = lostBlocks
    self.lostBytes = lostBytes
    self.rootBytes = rootBytes
    self.threads = threads
    self.sites = sites
  }
}

/// One (call site, tag) of a scan.
public struct PoolScanRecord: Sendable, Equatable, Codable {
  /// Return address into the allocating driver; 0: nt's own allocations and blocks of no known site.
  public var callSite: UInt32
  public var tag: UInt32
  public var blocks: UInt32
  public var bytes: UInt64
  public var lostBlocks: UInt32
  public var lostBytes: UInt64
  /// The lowest lost blocks' addresses (at most 8).
  public var lostAddresses: [UInt32]

  public init(
    callSite: UInt32, tag: UInt32, blocks: UInt32, bytes: UInt64, lostBlocks: UInt32, lostBytes: UInt64,
    lostAddresses: [UInt32]
  ) {
    self.callSite = callSite
    self.tag = tag
    self.blocks = blocks
    self.bytes = bytes
    self.lostBlocks = lostBlocks
    self.lostBytes = lostBytes
    self.lostAddresses = lostAddresses
  }
}
