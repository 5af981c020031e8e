/// Both pools, the tracking table and the big-page table: what ExAllocatePoolWithTag and
/// ExFreePoolWithTag do to kernel memory.
final class PoolManager {
  /// Why a free is refused, with Windows' bug check and parameters (docs/KERNEL.md, "What the services
  /// check"): BAD_POOL_CALLER (0xC2) for a bad address or a bad tag, BAD_POOL_HEADER (0x19) for a
  /// header chain that contradicts itself.
  enum FreeFailure: Error, Equatable {
    /// A user-mode address (below MmSystemRangeStart): 0xC2 / 0x40.
    case userAddress(UInt32)
    /// An address in no pool at all: 0xC2 / 0x43.
    case notPool(UInt32)
    /// A page-aligned address in a pool that is not a live big allocation: 0xC2 / 0x44 (nonpaged) or
    /// 0x50 (paged: offset in pages from MmPagedPoolStart, paged pool size).
    case pagesNotAllocated(address: UInt32, paged: Bool, pageOffset: UInt32, poolBytes: UInt32)
    /// Not 8-byte aligned, or a header naming a pool type that is not this pool's: 0xC2 / 0x99.
    case invalidAddress(UInt32)
    /// The block's header says free already: 0xC2 / 7 (Windows' second parameter is a source line).
    case alreadyFree(address: UInt32, ulong0: UInt32)
    /// Two adjacent headers contradict each other (a BlockSize and the next PreviousSize, or a
    /// PreviousSize and the previous BlockSize; a zero BlockSize contradicts itself): 0x19 / 5.
    case headersDisagree(entry: UInt32, other: UInt32)
    /// ExFreePoolWithTag with a tag that is not the block's: 0xC2 / 0xA.
    case tagMismatch(address: UInt32, blockTag: UInt32, passedTag: UInt32)

    var bugCheck: (UInt32, [UInt32]) {
      switch self {
      case .userAddress(let p): (0xC2, [0x40, p, KernelLayout.systemRangeStart, 0])
      case .notPool(let p): (0xC2, [0x43, p, 0, 0])
      case .pagesNotAllocated(let p, let paged, let offset, let bytes):
        paged ? (0xC2, [0x50, p, offset, bytes]) : (0xC2, [0x44, p, 0, 0])
      case .invalidAddress(let p): (0xC2, [0x99, p, 0, 0])
      case .alreadyFree(let p, let u): (0xC2, [7, 0x1097, u, p])
      case .headersDisagree(let entry, let other): (0x19, [5, entry, 0, other])
      case .tagMismatch(let p, let b, let t): (0xC2, [0xA, p, b, t])
      }
    }
  }

  static let protectedBit: UInt32 = 0x8000_0000

  /// The initial nonpaged pool, and its expansion (XP's second nonpaged range), which takes what the first
  /// cannot.
  let nonPaged: Pool
  let nonPagedExpansion: Pool
  let paged: Pool
  let tracker: PoolTrackTable
  let bigPages: BigPageTable
  /// Tag accounting and PoolHitTag are active (always from Server 2003 on; XP needs +ptg and a reboot).
  let taggingEnabled: Bool
  /// Outstanding blocks per call site (ours); off only where a benchmark measures the pools without it.
  let trackSites: Bool
  let sites = PoolSiteTable()
  private(set) var tagSplit = PoolTagSplit()

  init(
    space: AddressSpace, kernelData: HostMemory, trackOffset: UInt32, bigOffset: UInt32, taggingEnabled: Bool,
    trackSites: Bool
  ) throws(KernelError) {
    nonPaged = try Pool(
      paged: false, start: KernelLayout.nonPagedPoolStart, size: KernelLayout.nonPagedPoolSize, space: space)
    nonPagedExpansion = try Pool(
      paged: false, start: KernelLayout.nonPagedPoolExpansionStart, size: KernelLayout.nonPagedPoolExpansionSize,
      space: space)
    paged = try Pool(paged: true, start: KernelLayout.pagedPoolStart, size: KernelLayout.pagedPoolSize, space: space)
    tracker = PoolTrackTable(
      memory: kernelData, offset: trackOffset, address: KernelLayout.kernelDataBase + trackOffset)
    bigPages = BigPageTable(memory: kernelData, offset: bigOffset, address: KernelLayout.kernelDataBase + bigOffset)
    self.taggingEnabled = taggingEnabled
    self.trackSites = trackSites
  }

  /// Returns the body address, or 0 when the pool is exhausted (as Windows returns NULL). `callSite` is the
  /// return address into the allocating driver (0 for nt's own allocations); `frames` its stack, evaluated only
  /// for a site not seen before.
  func allocate(
    poolType: UInt32, bytes: UInt32, tag: UInt32, callSite: UInt32 = 0, frames: () -> [UInt32] = { [] }
  ) throws(KernelError) -> UInt32 {
    var site: Int32 = -1
    var placed = tag
    if trackSites {
      site = sites.site(callSite: callSite, tag: tag & ~Self.protectedBit, frames: frames)
      if !tagSplit.split.isEmpty, tagSplit.isSplit(tag & ~Self.protectedBit) {
        let sub = subTag(site: site)
        if sub != 0 { placed = sub | tag & Self.protectedBit }
      }
    }
    let pool: Pool
    let placedAt: Pool.Allocation
    if poolType & 1 == 1 {
      guard let a = try paged.allocate(bytes: bytes, tag: placed) else { return 0 }
      (pool, placedAt) = (paged, a)
    } else if let a = try nonPaged.allocate(bytes: bytes, tag: placed) {
      (pool, placedAt) = (nonPaged, a)
    } else {
      guard let a = try nonPagedExpansion.allocate(bytes: bytes, tag: placed) else { return 0 }
      (pool, placedAt) = (nonPagedExpansion, a)
    }
    let key = placed & ~Self.protectedBit
    switch placedAt {
    case .small(let address, let blockBytes):
      if taggingEnabled { tracker.record(tag: key, paged: pool.paged, bytes: blockBytes, isFree: false) }
      if site >= 0 { sites.recordAllocation(site: site, address: address, bytes: blockBytes) }
      return address
    case .big(let address, let pages):
      guard bigPages.insert(va: address, tag: placed, pages: pages) else {
        pool.freePages(address: address, pages: pages)
        return 0
      }
      if taggingEnabled { tracker.record(tag: key, paged: pool.paged, bytes: pages << 12, isFree: false) }
      if site >= 0 { sites.recordAllocation(site: site, address: address, bytes: pages << 12) }
      return address
    }
  }

  /// The pool whose committed pages hold `address`.
  func pool(containing address: UInt32) -> Pool? {
    if nonPaged.contains(address) { return nonPaged }
    if paged.contains(address) { return paged }
    return nonPagedExpansion.contains(address) ? nonPagedExpansion : nil
  }

  /// A block ExFreePoolWithTag gave back.
  struct FreedBlock {
    /// The block's tag (the one PoolHitTag is compared with; a sub-tag while its tag is split), protected bit
    /// stripped.
    var tag: UInt32
    /// Block bytes, header included (whole pages for a big allocation).
    var bytes: UInt32
    var paged: Bool
  }

  /// Frees the block at `address`. Checks what ExFreePoolWithTag checks before it touches anything: the address,
  /// the header chain, the tag.
  func free(_ address: UInt32, passedTag: UInt32) -> Result<FreedBlock, FreeFailure> {
    let pool: Pool
    if address < KernelLayout.systemRangeStart {
      return .failure(.userAddress(address))
    } else if let owner = self.pool(containing: address) {
      pool = owner
    } else {
      return .failure(.notPool(address))
    }
    func tagMatches(_ blockTag: UInt32) -> Bool {
      let block = blockTag & ~Self.protectedBit
      let passed = passedTag & ~Self.protectedBit
      return passedTag == 0 || block == passed || tagSplit.parent[block] == passed
    }
    if address & 0xfff == 0 {
      guard let big = bigPages.lookup(va: address) else {
        return .failure(
          .pagesNotAllocated(
            address: address, paged: pool.paged, pageOffset: (address - pool.start) >> 12, poolBytes: pool.size))
      }
      guard tagMatches(big.tag) else {
        return .failure(.tagMismatch(address: address, blockTag: big.tag, passedTag: passedTag))
      }
      bigPages.remove(va: address)
      pool.freePages(address: address, pages: big.pages)
      if taggingEnabled {
        tracker.record(tag: big.tag & ~Self.protectedBit, paged: pool.paged, bytes: big.pages << 12, isFree: true)
      }
      if trackSites { sites.recordFree(address: address, bytes: big.pages << 12) }
      return .success(FreedBlock(tag: big.tag & ~Self.protectedBit, bytes: big.pages << 12, paged: pool.paged))
    }
    let h: PoolHeader
    switch pool.checkedHeader(body: address) {
    case .success(let header): h = header
    case .failure(let failure): return .failure(failure)
    }
    guard tagMatches(h.tag) else {
      return .failure(.tagMismatch(address: address, blockTag: h.tag, passedTag: passedTag))
    }
    let bytes = pool.freeSmall(body: address)
    if taggingEnabled { tracker.record(tag: h.tag & ~Self.protectedBit, paged: pool.paged, bytes: bytes, isFree: true) }
    if trackSites { sites.recordFree(address: address, bytes: bytes) }
    return .success(FreedBlock(tag: h.tag & ~Self.protectedBit, bytes: bytes, paged: pool.paged))
  }

  // MARK: virtual tag splitting (ours)

  /// The sub-tag of site `i`, given now if its tag is split and it has none yet (0: none left).
  private func subTag(site i: Int32) -> UInt32 {
    let site = sites.sites[Int(i)]
    if site.subTag != 0 { return site.subTag }
    guard let sub = tagSplit.nextSubTag(of: site.tag, inUse: tracker.contains) else { return 0 }
    sites.setSubTag(sub, site: i)
    return sub
  }

  /// Splits `tag` (protected bit stripped) by call site: the sites seen so far get their sub-tags now, in the
  /// order they first allocated; later ones as they first allocate. Blocks already allocated keep `tag`.
  func split(_ tag: UInt32) {
    tagSplit.start(tag)
    for i in sites.sites.indices where sites.sites[i].tag == tag { _ = subTag(site: Int32(i)) }
  }

  /// Ends the split of `tag`: every outstanding block carrying one of its sub-tags gets `tag` back (protected
  /// bit kept), and the sub-tags' tracking entries fold into `tag`'s.
  func merge(_ tag: UInt32) {
    guard tagSplit.isSplit(tag) else { return }
    for (address, _) in sites.liveBlocks(where: { $0.tag == tag && $0.subTag != 0 }) {
      guard let pool = self.pool(containing: address) else { continue }
      if address & 0xfff == 0, let big = bigPages.lookup(va: address) {
        bigPages.retag(va: address, tag: tag | big.tag & Self.protectedBit)
      } else {
        pool.setTag(body: address, tag | pool.tag(body: address) & Self.protectedBit)
      }
    }
    for sub in tagSplit.end(tag) { tracker.merge(sub, into: tag) }
    for i in sites.sites.indices where sites.sites[i].tag == tag { sites.setSubTag(0, site: Int32(i)) }
  }
}
