/// One pool (paged or nonpaged): pages of header-chained blocks carved in order, exact-size free lists,
/// whole-page runs for big allocations. Backed by reserved host memory that is mapped into the
/// emulator in 1 MiB chunks as the pool grows; what lies beyond is unmapped, as in a real pool.
final class Pool {
  enum Allocation {
    case small(address: UInt32, blockBytes: UInt32)
    case big(address: UInt32, pages: UInt32)
  }

  let paged: Bool
  let start: UInt32
  let size: UInt32
  private let memory: HostMemory
  private let space: AddressSpace
  private var committed: UInt32 = 0
  private var fresh: UInt32 = 0
  private var freeRuns: [(offset: UInt32, pages: UInt32)] = []
  private var freeBlocks = [[UInt32]](repeating: [], count: Int(PoolHeader.unitsPerPage))
  private var carvePage: UInt32?
  private var carveUnits: UInt32 = 0
  private var lastUnits: UInt32 = 0
  private static let chunk: UInt32 = 0x10_0000

  init(paged: Bool, start: UInt32, size: UInt32, space: AddressSpace) throws(KernelError) {
    self.paged = paged
    self.start = start
    self.size = size
    self.space = space
    memory = try HostMemory(size: Int(size), what: paged ? "paged pool" : "nonpaged pool")
    space.add(.init(base: start, size: 0, writable: true, executable: false, kind: paged ? .pagedPool : .nonPagedPool))
  }

  var poolTypeField: UInt32 { paged ? 2 : 1 }
  var committedEnd: UInt32 { start + committed }

  func memoryLoad(_ offset: UInt32) -> UInt32 { memory.load(offset) }

  func contains(_ address: UInt32) -> Bool { address >= start && address - start < committed }

  /// Largest small request: a block of 511 units, header included.
  static let maxSmallBytes: UInt32 = (PoolHeader.unitsPerPage - 1) * 8 - PoolHeader.size

  func allocate(bytes: UInt32, tag: UInt32) throws(KernelError) -> Allocation? {
    if bytes > Self.maxSmallBytes {
      let pages = (UInt64(bytes) + 0xfff) >> 12
      guard pages < UInt64(size >> 12), let offset = try takePages(UInt32(pages)) else { return nil }
      return .big(address: start + offset, pages: UInt32(pages))
    }
    let units = (max(bytes, 1) + PoolHeader.size + 7) / 8
    if let header = freeBlocks[Int(units)].popLast() {
      let old = PoolHeader(ulong0: memory.load(header), tag: 0)
      writeHeader(
        header, PoolHeader(previousUnits: old.previousUnits, blockUnits: units, poolType: poolTypeField, tag: tag))
      return .small(address: start + header + PoolHeader.size, blockBytes: units * 8)
    }
    if carvePage == nil || carveUnits + units > PoolHeader.unitsPerPage {
      closeCarvePage()
      guard let page = try takePages(1) else { return nil }
      carvePage = page
      carveUnits = 0
      lastUnits = 0
    }
    let page = carvePage!
    let header = page + carveUnits * 8
    writeHeader(header, PoolHeader(previousUnits: lastUnits, blockUnits: units, poolType: poolTypeField, tag: tag))
    carveUnits += units
    lastUnits = units
    if carveUnits < PoolHeader.unitsPerPage {
      // The rest of the page is one free block from the start, so the chain always reaches the page end.
      writeHeader(
        page + carveUnits * 8,
        PoolHeader(previousUnits: units, blockUnits: PoolHeader.unitsPerPage - carveUnits, poolType: 0, tag: 0))
    }
    return .small(address: start + header + PoolHeader.size, blockBytes: units * 8)
  }

  /// The header of the in-use small block whose body starts at `address` (8-aligned, not page-aligned,
  /// committed), checked as ExFreePoolWithTag checks it: in use, of this pool, a nonzero BlockSize that
  /// stays in the page, and neighbours whose sizes agree with it.
  func checkedHeader(body address: UInt32) -> Result<PoolHeader, PoolManager.FreeFailure> {
    guard address & 7 == 0 else { return .failure(.invalidAddress(address)) }
    let entry = address - PoolHeader.size
    let o = entry - start
    let h = header(at: o)
    guard h.poolType != 0 else { return .failure(.alreadyFree(address: address, ulong0: h.ulong0)) }
    guard h.poolType == poolTypeField else { return .failure(.invalidAddress(address)) }
    let pageStart = o & ~0xfff
    let next = UInt64(o) + UInt64(h.blockUnits) * 8
    guard h.blockUnits > 0, next <= UInt64(pageStart) + 0x1000 else {
      return .failure(.headersDisagree(entry: entry, other: start &+ UInt32(truncatingIfNeeded: next)))
    }
    if h.previousUnits > 0 {
      let back = h.previousUnits * 8
      guard o - pageStart >= back else { return .failure(.headersDisagree(entry: start + pageStart, other: entry)) }
      guard header(at: o - back).blockUnits == h.previousUnits else {
        return .failure(.headersDisagree(entry: start + o - back, other: entry))
      }
    }
    if next & 0xfff != 0, header(at: UInt32(next)).previousUnits != h.blockUnits {
      return .failure(.headersDisagree(entry: entry, other: start + UInt32(next)))
    }
    return .success(h)
  }

  private func header(at offset: UInt32) -> PoolHeader {
    PoolHeader(ulong0: memory.load(offset), tag: memory.load(offset + 4))
  }

  /// The tag in the header of the small block whose body starts at `address`.
  func tag(body address: UInt32) -> UInt32 { memory.load(address - start - PoolHeader.size + 4) }

  func setTag(body address: UInt32, _ tag: UInt32) { memory.store(address - start - PoolHeader.size + 4, tag) }

  /// Marks the block free (tag kept, as Windows keeps it) and returns its size in bytes.
  func freeSmall(body address: UInt32) -> UInt32 {
    let o = address - start - PoolHeader.size
    var h = PoolHeader(ulong0: memory.load(o), tag: memory.load(o + 4))
    h.poolType = 0
    memory.store(o, h.ulong0)
    freeBlocks[Int(h.blockUnits)].append(o)
    return h.blockUnits * 8
  }

  /// Calls `body` with every in-use block, lowest address first: (body address, body bytes up to the block's end,
  /// the tag in its header). Walks the pages handed out so far as a pool scan does: a page that starts a live big
  /// allocation (in `bigPages`) is one block of its pages; any other page is a header chain, whose in-use entries
  /// are the small blocks (a page whose first BlockSize is 0 is free or never carved).
  func forEachInUseBlock(bigPages: BigPageTable, _ body: (UInt32, UInt32, UInt32) -> Void) {
    var page: UInt32 = 0
    while page < fresh {
      if let big = bigPages.lookup(va: start + page) {
        // The table is in emulated memory a debugger can write: a page count is clamped to the pool.
        let end = UInt32(min(UInt64(page) + UInt64(max(big.pages, 1)) << 12, UInt64(fresh)))
        body(start + page, end - page, big.tag)
        page = end
        continue
      }
      var o = page
      let pageEnd = page + 0x1000
      while o < pageEnd {
        let h = header(at: o)
        guard h.blockUnits > 0 else { break }
        let next = min(o + h.blockUnits * 8, pageEnd)
        if h.poolType != 0, next > o + PoolHeader.size {
          body(start + o + PoolHeader.size, next - o - PoolHeader.size, h.tag)
        }
        o = next
      }
      page += 0x1000
    }
  }

  /// Returns whole pages; each gets a zero first dword (BlockSize 0: "no block chain here"), so a
  /// pool scan does not read a freed big allocation's old data as headers.
  func freePages(address: UInt32, pages: UInt32) {
    for p in 0..<pages { memory.store(address - start + p << 12, 0) }
    freeRuns.append((address - start, pages))
  }

  private func writeHeader(_ offset: UInt32, _ h: PoolHeader) {
    memory.store(offset, h.ulong0)
    memory.store(offset + 4, h.tag)
  }

  /// The rest of the carving page becomes one free block, so every page stays a complete chain.
  private func closeCarvePage() {
    guard let page = carvePage, carveUnits > 0, carveUnits < PoolHeader.unitsPerPage else { return }
    let rest = PoolHeader.unitsPerPage - carveUnits
    let header = page + carveUnits * 8
    writeHeader(header, PoolHeader(previousUnits: lastUnits, blockUnits: rest, poolType: 0, tag: 0))
    freeBlocks[Int(rest)].append(header)
    carvePage = nil
  }

  private func takePages(_ pages: UInt32) throws(KernelError) -> UInt32? {
    if let i = freeRuns.firstIndex(where: { $0.pages >= pages }) {
      let run = freeRuns[i]
      if run.pages == pages {
        freeRuns.remove(at: i)
      } else {
        freeRuns[i] = (run.offset + pages << 12, run.pages - pages)
      }
      return run.offset
    }
    let bytes = pages << 12
    guard UInt64(fresh) + UInt64(bytes) <= UInt64(size) else { return nil }
    while fresh + bytes > committed {
      let n = min(Self.chunk, size - committed)
      try space.emulator.mapHost(start + committed, size: n, pointer: memory.pointer + Int(committed))
      committed += n
      space.extend(base: start, to: committed)
    }
    defer { fresh += bytes }
    return fresh
  }
}
