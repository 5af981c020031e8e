/// A kmemleak-style reachability scan of the pools (ours, `!poolscan`), run with the target halted.
///
/// Every in-use pool block starts unreferenced ("white"). The roots are scanned for pointers: every loaded
/// module's image (nt's included: its globals hold list heads such as PsLoadedModuleList; a driver's code holds
/// no pool addresses, so its whole image scans as its data and bss would), the KPCR, the live part of every
/// thread's stack (from its ESP up to its initial stack; a terminated thread has none), the general registers of
/// every thread that has not terminated, and the objects nt holds on the host side as Windows' object manager
/// would (each thread's KTHREAD, each driver's DRIVER_OBJECT). A block a pointer reaches is referenced ("grey")
/// and its own body is scanned in turn, so a block referenced only from an unreferenced block stays
/// unreferenced: "lost", as kmemleak reports it.
///
/// A pointer is any 4-byte-aligned value equal to an address in a block's body, from its first byte to the
/// block's end (kmemleak counts pointers into an object too: a LIST_ENTRY inside a record is one). A value
/// pointing at a block's POOL_HEADER does not count. The scan is conservative: a value that only happens to
/// equal an address keeps a block referenced.
struct PoolScan {
  /// Body addresses of the in-use blocks, ascending; `ends[i]` is one past block i (its block's end).
  private(set) var starts: [UInt32] = []
  private(set) var ends: [UInt32] = []
  /// The tag in each block's header (a sub-tag while its tag is split), as the pool holds it.
  private(set) var tags: [UInt32] = []
  private(set) var referenced: [Bool] = []
  /// Bytes of roots scanned (module images, KPCR, stacks, 4 per register).
  private(set) var rootBytes: UInt64 = 0
  /// Threads whose registers and stack were scanned.
  private(set) var threads = 0
  private var grey: [Int32] = []

  /// The blocks of both pools, the nonpaged pool's first (it lies lower).
  init(pools: PoolManager) {
    for pool in [pools.nonPaged, pools.paged] {
      pool.forEachInUseBlock(bigPages: pools.bigPages) { address, bytes, tag in
        starts.append(address)
        ends.append(address &+ bytes)
        tags.append(tag)
      }
    }
    referenced = Array(repeating: false, count: starts.count)
  }

  var lostCount: Int { referenced.lazy.filter { !$0 }.count }

  /// Scans the roots of `machine`, then every block reached, until none is left to scan.
  mutating func mark(_ machine: Machine) {
    for module in machine.modules {
      scan(machine.emulator, from: module.base, bytes: module.size)
    }
    scan(machine.kpcr, base: KernelLayout.kpcr, bytes: KernelLayout.pageSize)
    for t in machine.scheduler.threads {
      if let i = block(containing: t.kthread) { reach(i) }
      guard t.state != .terminated else { continue }
      threads += 1
      for r in t.regs.prefix(8) { visit(r) }
      rootBytes += 32
      let esp = t.regs[7]
      if esp >= t.stackLimit, esp < t.stackBase {
        scan(machine.emulator, from: esp & ~3, bytes: t.stackBase - (esp & ~3))
      }
    }
    for object in machine.driverObjects {
      if let i = block(containing: object) { reach(i) }
    }
    drain(machine.pools)
  }

  /// The block whose body holds `value`.
  @inline(__always)
  func block(containing value: UInt32) -> Int? {
    guard let first = starts.first, value >= first, value < ends[ends.count - 1] else { return nil }
    var lo = 0
    var hi = starts.count
    while hi - lo > 1 {
      let mid = (lo + hi) >> 1
      if starts[mid] <= value { lo = mid } else { hi = mid }
    }
    return value < ends[lo] ? lo : nil
  }

  @inline(__always)
  private mutating func visit(_ value: UInt32) {
    if let i = block(containing: value) { reach(i) }
  }

  @inline(__always)
  private mutating func reach(_ i: Int) {
    guard !referenced[i] else { return }
    referenced[i] = true
    grey.append(Int32(i))
  }

  private mutating func scan(_ emulator: Emulator, from address: UInt32, bytes: UInt32) {
    guard bytes >= 4, let data = emulator.read(address, count: Int(bytes)) else { return }
    rootBytes += UInt64(data.count)
    data.withUnsafeBytes { raw in
      for o in stride(from: 0, through: raw.count - 4, by: 4) {
        visit(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
      }
    }
  }

  private mutating func scan(_ memory: HostMemory, base: UInt32, bytes: UInt32) {
    rootBytes += UInt64(bytes)
    for o in stride(from: UInt32(0), to: bytes, by: 4) { visit(memory.load(o)) }
  }

  /// Scans reached blocks' bodies until no block is left grey.
  private mutating func drain(_ pools: PoolManager) {
    while let i = grey.popLast().map(Int.init) {
      let pool = pools.nonPaged.contains(starts[i]) ? pools.nonPaged : pools.paged
      var o = (starts[i] - pool.start + 3) & ~3
      let end = ends[i] - pool.start
      while o + 4 <= end {
        visit(pool.memoryLoad(o))
        o += 4
      }
    }
  }
}

extension PoolScan {
  /// The marked blocks per allocating call site of `sites` (a block the table does not know counts under its
  /// header's tag, call site 0).
  func report(sites: PoolSiteTable, time: UInt64) -> PoolScanReport {
    var bySite = [PoolScanSite?](repeating: nil, count: sites.sites.count)
    var byTag: [UInt32: PoolScanSite] = [:]
    var total = (blocks: UInt32(0), bytes: UInt64(0), lost: UInt32(0), lostBytes: UInt64(0))
    for i in starts.indices {
      // A big allocation is its pages; a small block counts its header too, as the tracking table does.
      let bytes = UInt64(ends[i] - starts[i]) + (starts[i] & 0xfff == 0 ? 0 : UInt64(PoolHeader.size))
      let lost = !referenced[i]
      func add(_ entry: inout PoolScanSite) {
        entry.blocks += 1
        entry.bytes += bytes
        if lost {
          entry.lostBlocks += 1
          entry.lostBytes += bytes
          entry.lostAddresses.append(starts[i])
        }
      }
      total.blocks += 1
      total.bytes += bytes
      if lost {
        total.lost += 1
        total.lostBytes += bytes
      }
      // Mutated in place: a copy out of the table would copy its address list at every append.
      if let s = sites.site(ofBlock: starts[i]).map(Int.init) {
        if bySite[s] == nil {
          let site = sites.sites[s]
          bySite[s] = PoolScanSite(
            callSite: site.callSite, tag: site.tag, blocks: 0, bytes: 0, lostBlocks: 0, lostBytes: 0, lostAddresses: [])
        }
        add(&bySite[s]!)
      } else {
        let tag = tags[i] & ~PoolManager.protectedBit
        add(
          &byTag[
            tag,
            default: PoolScanSite(
              callSite: 0, tag: tag, blocks: 0, bytes: 0, lostBlocks: 0, lostBytes: 0, lostAddresses: [])])
      }
    }
    return PoolScanReport(
      virtualTime: time, blocks: total.blocks, bytes: total.bytes, lostBlocks: total.lost, lostBytes: total.lostBytes,
      rootBytes: rootBytes, threads: UInt32(threads),
      sites: bySite.compactMap { $0 } + byTag.values.sorted { $0.tag < $1.tag })
  }
}
