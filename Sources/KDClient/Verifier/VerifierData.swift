/// Driver Verifier's state as the target keeps it in memory (docs/KERNEL.md, "Driver Verifier"): the global
/// counters at nt!MmVerifierData and the verified drivers' entries on nt!MiSuspectDriverList, each with its pool
/// hash (one entry per outstanding allocation). Read with memory reads only, as KD's kdexts reads them.
struct VerifierData {
  /// The eight pool counters kept globally and per driver, at the same offsets from their start.
  struct PoolCounters: Codable, Sendable {
    var currentPagedAllocations: UInt32
    var currentNonPagedAllocations: UInt32
    var peakPagedAllocations: UInt32
    var peakNonPagedAllocations: UInt32
    var pagedBytes: UInt32
    var nonPagedBytes: UInt32
    var peakPagedBytes: UInt32
    var peakNonPagedBytes: UInt32

    init(_ b: [UInt8], at o: Int) {
      (currentPagedAllocations, currentNonPagedAllocations, peakPagedAllocations, peakNonPagedAllocations) =
        (b.u32(at: o), b.u32(at: o + 4), b.u32(at: o + 8), b.u32(at: o + 12))
      (pagedBytes, nonPagedBytes, peakPagedBytes, peakNonPagedBytes) =
        (b.u32(at: o + 16), b.u32(at: o + 20), b.u32(at: o + 24), b.u32(at: o + 28))
    }
  }

  /// One VI_POOL_ENTRY in use.
  struct Allocation: Codable, Sendable {
    @HexString var address: UInt32
    var bytes: UInt32
    @TagString var tag: UInt32
    @HexString var caller: UInt32
  }

  /// One MI_VERIFIER_DRIVER_ENTRY.
  struct Driver: Codable, Sendable {
    @HexString var entry: UInt32
    var name: String
    var loads: UInt32
    var unloads: UInt32
    @HexString var start: UInt32
    @HexString var end: UInt32
    var flags: UInt32
    var pool: PoolCounters
    @HexString var poolHash: UInt32
    /// Pool hash entries used so far (in use or free).
    var poolHashUsed: UInt32
  }

  /// nt!MmVerifierData's counters.
  struct Counters: Codable, Sendable {
    var level: UInt32
    var raiseIrqls: UInt32
    var acquireSpinLocks: UInt32
    var synchronizeExecutions: UInt32
    var allocationsAttempted: UInt32
    var allocationsSucceeded: UInt32
    var allocationsSucceededSpecialPool: UInt32
    var allocationsWithNoTag: UInt32
    var trims: UInt32
    var allocationsFailed: UInt32
    var allocationsFailedDeliberately: UInt32
    var unTrackedPool: UInt32
    var pool: PoolCounters
  }

  var counters: Counters
  var drivers: [Driver]

  /// Most entries followed on MiSuspectDriverList (the kernel keeps at most 16).
  static let maxDrivers = 64
  static let poolEntrySize = 16
  /// Most pool hash entries read for one driver (the kernel's hash has 0x10000): the counts are target memory.
  static let maxPoolEntries: UInt32 = 0x100000

  static func read(_ session: Session) throws(CommandError) -> VerifierData {
    guard let data = try session.ntSymbol("MmVerifierData"), let head = try session.ntSymbol("MiSuspectDriverList")
    else { throw .message("nt!MmVerifierData is not in this kernel's symbols: it has no Driver Verifier") }
    guard let b = try session.readExact(data, count: 0x70) else {
      throw .message("Unable to read nt!MmVerifierData at \(Hex.d8(data))")
    }
    var drivers: [Driver] = []
    var link = try session.readU32(head) ?? 0
    var seen = Set<UInt32>()
    while link != 0, link != head, seen.insert(link).inserted, drivers.count < maxDrivers {
      guard let e = try session.readExact(link, count: 0x60) else {
        throw .message("Unable to read the verifier entry at \(Hex.d8(link)) on nt!MiSuspectDriverList")
      }
      let length = Int(e.u16(at: 0x10)) & ~1
      let nameBytes = length > 0 ? try session.readExact(e.u32(at: 0x14), count: min(length, 512)) ?? [] : []
      let units = stride(from: 0, to: nameBytes.count - 1, by: 2).map { nameBytes.u16(at: $0) }
      drivers.append(
        Driver(
          entry: link, name: String(decoding: units, as: UTF16.self), loads: e.u32(at: 0x08), unloads: e.u32(at: 0x0c),
          start: e.u32(at: 0x18), end: e.u32(at: 0x1c), flags: e.u32(at: 0x20), pool: PoolCounters(e, at: 0x40),
          poolHash: e.u32(at: 0x30), poolHashUsed: min(e.u32(at: 0x3c), e.u32(at: 0x34), maxPoolEntries)))
      link = e.u32(at: 0)
    }
    let counters = Counters(
      level: b.u32(at: 0), raiseIrqls: b.u32(at: 4), acquireSpinLocks: b.u32(at: 8),
      synchronizeExecutions: b.u32(at: 0xc),
      allocationsAttempted: b.u32(at: 0x10), allocationsSucceeded: b.u32(at: 0x14),
      allocationsSucceededSpecialPool: b.u32(at: 0x18), allocationsWithNoTag: b.u32(at: 0x1c), trims: b.u32(at: 0x24),
      allocationsFailed: b.u32(at: 0x28), allocationsFailedDeliberately: b.u32(at: 0x2c),
      unTrackedPool: b.u32(at: 0x38), pool: PoolCounters(b, at: 0x40))
    return VerifierData(counters: counters, drivers: drivers)
  }

  /// The driver's outstanding allocations from its pool hash, in hash order (free entries have bit 0 set).
  static func allocations(of driver: Driver, _ session: Session) throws(CommandError) -> [Allocation] {
    let count = Int(driver.poolHashUsed)
    guard count > 0 else { return [] }
    guard let b = try session.readExact(driver.poolHash, count: count * poolEntrySize) else {
      throw .message("Unable to read the pool hash of \(driver.name) at \(Hex.d8(driver.poolHash))")
    }
    var out: [Allocation] = []
    for i in 0..<count {
      let o = i * poolEntrySize
      let address = b.u32(at: o)
      guard address != 0, address & 1 == 0 else { continue }
      out.append(
        Allocation(address: address, bytes: b.u32(at: o + 8), tag: b.u32(at: o + 12), caller: b.u32(at: o + 4)))
    }
    return out
  }
}
