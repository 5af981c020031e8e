/// Both pools, the tracking table and the big-page table: what ExAllocatePoolWithTag and
/// ExFreePoolWithTag do to kernel memory.
final class PoolManager {
  /// Why a free is refused; each becomes BAD_POOL_CALLER (0xC2) with Windows' first parameter.
  enum FreeFailure: Error, Equatable {
    /// Not the start of any pool block (0x43-ish: we use 0x43 "address not in pool").
    case notPool(UInt32)
    /// The block's header says free already (parameter 7).
    case alreadyFree(address: UInt32, ulong0: UInt32)
    /// ExFreePoolWithTag with a tag that is not the block's (parameter 0xA).
    case tagMismatch(address: UInt32, blockTag: UInt32, passedTag: UInt32)

    var bugCheck: (UInt32, [UInt32]) {
      switch self {
      case .notPool(let p): (0xC2, [0x43, p, 0, 0])
      case .alreadyFree(let p, let u): (0xC2, [7, 0x1097, u, p])
      case .tagMismatch(let p, let b, let t): (0xC2, [0xA, p, b, t])
      }
    }
  }

  static let protectedBit: UInt32 = 0x8000_0000

  let nonPaged: Pool
  let paged: Pool
  let tracker: PoolTrackTable
  let bigPages: BigPageTable
  /// Tag accounting and PoolHitTag are active (always from Server 2003 on; XP needs +ptg and a reboot).
  let taggingEnabled: Bool

  init(space: AddressSpace, kernelData: HostMemory, trackOffset: UInt32, bigOffset: UInt32, taggingEnabled: Bool)
    throws(KernelError)
  {
    nonPaged = try Pool(
      paged: false, start: KernelLayout.nonPagedPoolStart, size: KernelLayout.nonPagedPoolSize, space: space)
    paged = try Pool(paged: true, start: KernelLayout.pagedPoolStart, size: KernelLayout.pagedPoolSize, space: space)
    tracker = PoolTrackTable(
      memory: kernelData, offset: trackOffset, address: KernelLayout.kernelDataBase + trackOffset)
    bigPages = BigPageTable(memory: kernelData, offset: bigOffset, address: KernelLayout.kernelDataBase + bigOffset)
    self.taggingEnabled = taggingEnabled
  }

  /// Returns the body address, or 0 when the pool is exhausted (as Windows returns NULL).
  func allocate(poolType: UInt32, bytes: UInt32, tag: UInt32) throws(KernelError) -> UInt32 {
    let pool = poolType & 1 == 1 ? paged : nonPaged
    guard let a = try pool.allocate(bytes: bytes, tag: tag) else { return 0 }
    let key = tag & ~Self.protectedBit
    switch a {
    case .small(let address, let blockBytes):
      if taggingEnabled { tracker.record(tag: key, paged: pool.paged, bytes: blockBytes, isFree: false) }
      return address
    case .big(let address, let pages):
      guard bigPages.insert(va: address, tag: tag, pages: pages) else {
        pool.freePages(address: address, pages: pages)
        return 0
      }
      if taggingEnabled { tracker.record(tag: key, paged: pool.paged, bytes: pages << 12, isFree: false) }
      return address
    }
  }

  /// Frees the block at `address`; returns the block's tag (the one PoolHitTag is compared with).
  func free(_ address: UInt32, passedTag: UInt32) -> Result<UInt32, FreeFailure> {
    let pool: Pool
    if nonPaged.contains(address) {
      pool = nonPaged
    } else if paged.contains(address) {
      pool = paged
    } else {
      return .failure(.notPool(address))
    }
    if address & 0xfff == 0, let big = bigPages.lookup(va: address) {
      if passedTag != 0, big.tag & ~Self.protectedBit != passedTag & ~Self.protectedBit {
        return .failure(.tagMismatch(address: address, blockTag: big.tag, passedTag: passedTag))
      }
      bigPages.remove(va: address)
      pool.freePages(address: address, pages: big.pages)
      if taggingEnabled {
        tracker.record(tag: big.tag & ~Self.protectedBit, paged: pool.paged, bytes: big.pages << 12, isFree: true)
      }
      return .success(big.tag & ~Self.protectedBit)
    }
    guard let h = pool.inUseHeader(body: address) else {
      let ulong0 = pool.contains(address &- 8) ? pool.memoryLoad(address - 8 - pool.start) : 0
      return .failure(.alreadyFree(address: address, ulong0: ulong0))
    }
    if passedTag != 0, h.tag & ~Self.protectedBit != passedTag & ~Self.protectedBit {
      return .failure(.tagMismatch(address: address, blockTag: h.tag, passedTag: passedTag))
    }
    let bytes = pool.freeSmall(body: address)
    if taggingEnabled { tracker.record(tag: h.tag & ~Self.protectedBit, paged: pool.paged, bytes: bytes, isFree: true) }
    return .success(h.tag & ~Self.protectedBit)
  }
}
