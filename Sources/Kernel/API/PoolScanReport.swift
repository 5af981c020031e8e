/// A reachability scan of the pools (ours, `!poolscan`): every in-use block, marked referenced when a pointer
/// reaches it from the roots or from a referenced block, else lost (``PoolScan`` in the kernel has the rules).
public struct PoolScanReport: Sendable, Equatable {
  /// Virtual time of the scan, 100 ns units.
  public var virtualTime: UInt64
  /// In-use blocks found in the pools, and their bytes (header included, whole pages for a big allocation).
  public var blocks: UInt32
  public var bytes: UInt64
  public var lostBlocks: UInt32
  public var lostBytes: UInt64
  /// Bytes of roots scanned: module images, the KPCR, live stacks, 32 per thread for its registers.
  public var rootBytes: UInt64
  /// Threads whose registers and stack were scanned (every thread that has not terminated).
  public var threads: UInt32
  /// Per allocating call site (as ``PoolSiteReport`` counts them), in the site table's order; blocks of no site
  /// (site tracking off) come last, one entry per tag with call site 0.
  public var sites: [PoolScanSite]

  public init(
    virtualTime: UInt64, blocks: UInt32, bytes: UInt64, lostBlocks: UInt32, lostBytes: UInt64, rootBytes: UInt64,
    threads: UInt32, sites: [PoolScanSite]
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

/// One (call site, tag) in a scan: its outstanding blocks and the lost ones among them.
public struct PoolScanSite: Sendable, Equatable {
  /// Return address into the allocating driver; 0 for nt's own allocations and blocks of no known site.
  public var callSite: UInt32
  /// The tag the caller passed (protected bit stripped; the original tag while split).
  public var tag: UInt32
  public var blocks: UInt32
  public var bytes: UInt64
  public var lostBlocks: UInt32
  public var lostBytes: UInt64
  /// Every lost block's body address, ascending.
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
