/// Driver Verifier's Pool Tracking (flag 0x8), kept where Windows keeps it: in kernel memory the debugger reads
/// (docs/KERNEL.md, "Driver Verifier"). `nt!MmVerifierData` holds the global counters, `nt!MiSuspectDriverList`
/// chains one MI_VERIFIER_DRIVER_ENTRY per verified driver that loaded, each with its pool hash: one VI_POOL_ENTRY
/// (address, caller's return address, bytes, tag) per outstanding allocation. `nt!ViPoolLog` is a ring of the
/// tracked allocations and frees with their stacks (ours: `!verifier 0x80` reads it). The address index below only
/// finds a freed block's entry fast; what `!verifier` prints comes from the emulated memory.
final class DriverVerifier {
  static let maxDrivers = 16
  /// Driver entries sit at the start of the region, one slot each (the entry, then its name in UTF-16).
  static let entryStride: UInt32 = 0x100
  static let entrySize: UInt32 = 0x60
  /// MI_VERIFIER_DRIVER_ENTRY.Signature.
  static let signature: UInt32 = 0x9876_1940
  static let logOffset: UInt32 = 0x1000
  static let logCapacity: UInt32 = 0x1000
  static let logEntrySize: UInt32 = 0x40
  static let logFrames = 12
  static let hashOffset: UInt32 = logOffset + logCapacity * logEntrySize
  /// Outstanding allocations tracked per driver; past it they count as `UnTrackedPool`.
  static let hashCapacity: UInt32 = 0x10000
  static let hashEntrySize: UInt32 = 16
  static let noFreeEntry: UInt32 = 0xffff_ffff
  /// ExAllocatePool's tag.
  static let noTag: UInt32 = 0x656e_6f4e

  /// MI_VERIFIER_DRIVER_ENTRY (XP x86 layout).
  enum Entry {
    static let loads: UInt32 = 0x08
    static let unloads: UInt32 = 0x0c
    static let baseName: UInt32 = 0x10
    static let startAddress: UInt32 = 0x18
    static let endAddress: UInt32 = 0x1c
    static let flags: UInt32 = 0x20
    static let signature: UInt32 = 0x24
    static let poolHash: UInt32 = 0x30
    static let poolHashSize: UInt32 = 0x34
    static let poolHashFree: UInt32 = 0x38
    static let poolHashReserved: UInt32 = 0x3c
    /// CurrentPagedPoolAllocations; the nonpaged, peak and byte counters follow as in ``Counters``.
    static let counters: UInt32 = 0x40
  }

  /// The eight pool counters MmVerifierData and each driver entry keep, at the same offsets from their start.
  enum Counters {
    static let currentPaged: UInt32 = 0x00
    static let currentNonPaged: UInt32 = 0x04
    static let peakPaged: UInt32 = 0x08
    static let peakNonPaged: UInt32 = 0x0c
    static let pagedBytes: UInt32 = 0x10
    static let nonPagedBytes: UInt32 = 0x14
    static let peakPagedBytes: UInt32 = 0x18
    static let peakNonPagedBytes: UInt32 = 0x1c
  }

  /// _MM_DRIVER_VERIFIER_DATA (XP x86 layout) at nt!MmVerifierData.
  enum Data {
    static let level: UInt32 = 0x00
    static let allocationsAttempted: UInt32 = 0x10
    static let allocationsSucceeded: UInt32 = 0x14
    static let allocationsWithNoTag: UInt32 = 0x1c
    static let allocationsFailed: UInt32 = 0x28
    static let loads: UInt32 = 0x30
    static let unloads: UInt32 = 0x34
    static let unTrackedPool: UInt32 = 0x38
    static let counters: UInt32 = 0x40
    static let size: UInt32 = 0x70
  }

  /// A VI_POOL_LOG entry's kinds (ours).
  enum LogKind: UInt32 {
    case allocation = 1
    case free = 2
  }

  struct Driver {
    let imageName: String
    let start: UInt32
    let end: UInt32
    /// The MI_VERIFIER_DRIVER_ENTRY's address.
    let entry: UInt32
    /// Its pool hash's address. Kept here: the copy in the entry is guest memory a driver could overwrite.
    let hash: UInt32
    let flags: UInt32
    var loaded = true
  }

  let settings: [VerifierSetting]
  let memory: HostMemory
  let base: UInt32
  private let nt: NtModule
  private(set) var drivers: [Driver] = []
  /// Outstanding tracked block -> (driver, pool hash slot): finds a freed block's entry without a scan.
  private var blocks: [UInt32: (driver: Int, slot: UInt32)] = [:]
  private var logged: UInt32 = 0

  /// Maps the region and sets `nt!MmVerifierData.Level`; nil when no driver is to be verified this boot.
  init?(settings: [VerifierSetting], space: AddressSpace, nt: NtModule) throws(KernelError) {
    let kept = Array(settings.prefix(Self.maxDrivers))
    guard !kept.isEmpty else { return nil }
    self.settings = kept
    self.nt = nt
    base = KernelLayout.verifierBase
    let size = (Self.hashOffset + UInt32(kept.count) * Self.hashCapacity * Self.hashEntrySize).roundedUp(
      to: KernelLayout.pageSize)
    memory = try HostMemory(size: Int(size), what: "Driver Verifier data")
    try space.map(.init(base: base, size: size, writable: true, executable: false, kind: .kernelData), host: memory)
    nt.store(NtGlobals.mmVerifierData + Data.level, kept.reduce(0) { $0 | $1.flags })
    nt.store(NtGlobals.viPoolLog, base + Self.logOffset)
    nt.store(NtGlobals.viPoolLogSize, Self.logCapacity)
  }

  /// Starts verifying `module` when a setting names it: its entry is built and chained on MiSuspectDriverList.
  func moduleLoaded(_ module: LoadedModule) {
    guard let setting = settings.first(where: { $0.matches(imageName: module.imageName) }),
      drivers.count < Self.maxDrivers
    else { return }
    let index = UInt32(drivers.count)
    let entry = base + index * Self.entryStride
    let name = Array(module.imageName.utf16.prefix(VerifierSetting.maxNameLength))
    let nameAt = entry + Self.entrySize
    let hash = base + Self.hashOffset + index * Self.hashCapacity * Self.hashEntrySize
    store(entry + Entry.loads, 1)
    store(entry + Entry.baseName, UInt32(name.count * 2) | UInt32(name.count * 2 + 2) << 16)
    store(entry + Entry.baseName + 4, nameAt)
    for (i, u) in name.enumerated() { storeU16(nameAt + UInt32(2 * i), u) }
    store(entry + Entry.startAddress, module.base)
    store(entry + Entry.endAddress, module.base &+ module.size)
    store(entry + Entry.flags, setting.flags)
    store(entry + Entry.signature, Self.signature)
    store(entry + Entry.poolHash, hash)
    store(entry + Entry.poolHashSize, Self.hashCapacity)
    store(entry + Entry.poolHashFree, Self.noFreeEntry)
    // Chain at the tail of MiSuspectDriverList.
    let head = NtGlobals.miSuspectDriverList
    if nt.load(head) == 0 {
      nt.store(head, head)
      nt.store(head + 4, head)
    }
    let tail = nt.load(head + 4)
    store(entry, head)
    store(entry + 4, tail)
    store(tail, entry)
    nt.store(head + 4, entry)
    bump(NtGlobals.mmVerifierData + Data.loads)
    drivers.append(
      Driver(
        imageName: module.imageName, start: module.base, end: module.base &+ module.size, entry: entry, hash: hash,
        flags: setting.flags))
  }

  /// The verified, loaded driver whose code holds `address` (a caller's return address).
  func driver(containing address: UInt32) -> Int? {
    drivers.firstIndex { $0.loaded && address >= $0.start && address < $0.end }
  }

  func driver(named imageName: String) -> Int? {
    drivers.firstIndex { $0.loaded && $0.imageName.lowercased() == imageName.lowercased() }
  }

  /// An ExAllocatePoolWithTag call whose caller (the return address into the driver) is `caller`: counted when
  /// a verified driver made it, and tracked when that driver has Pool Tracking on. `frames` (the stack) is
  /// evaluated for tracked allocations only.
  func allocation(
    address: UInt32, bytes: UInt32, tag: UInt32, paged: Bool, caller: UInt32, thread: UInt32,
    frames: () -> [UInt32]
  ) {
    guard let d = driver(containing: caller) else { return }
    let data = NtGlobals.mmVerifierData
    bump(data + Data.allocationsAttempted)
    guard address != 0 else {
      bump(data + Data.allocationsFailed)
      return
    }
    bump(data + Data.allocationsSucceeded)
    if tag & ~PoolManager.protectedBit == Self.noTag { bump(data + Data.allocationsWithNoTag) }
    let entry = drivers[d].entry
    guard drivers[d].flags & VerifierSetting.poolTracking != 0 else { return }
    let hash = drivers[d].hash
    let slot: UInt32
    let free = load(entry + Entry.poolHashFree)
    let reserved = load(entry + Entry.poolHashReserved)
    // The free list and the high-water mark are guest memory: an index outside the hash (a driver wrote over
    // them) ends the free list instead of reaching past the region.
    if free != Self.noFreeEntry, free < min(reserved, Self.hashCapacity) {
      slot = free
      store(entry + Entry.poolHashFree, load(hash + slot * Self.hashEntrySize + 4))
    } else if reserved < Self.hashCapacity {
      if free != Self.noFreeEntry { store(entry + Entry.poolHashFree, Self.noFreeEntry) }
      slot = reserved
      store(entry + Entry.poolHashReserved, slot + 1)
    } else {
      bump(data + Data.unTrackedPool)
      return
    }
    let e = hash + slot * Self.hashEntrySize
    store(e, address)
    store(e + 4, caller)
    store(e + 8, bytes)
    store(e + 12, tag)
    blocks[address] = (d, slot)
    for counters in [entry + Entry.counters, data + Data.counters] {
      count(counters, paged: paged, bytes: bytes, up: true)
    }
    log(.allocation, address: address, bytes: bytes, thread: thread, frames: frames())
  }

  /// An ExFreePoolWithTag of a block: its entry goes back on its driver's free list, wherever the free came from.
  func free(address: UInt32, thread: UInt32, frames: () -> [UInt32]) {
    guard let (d, slot) = blocks.removeValue(forKey: address) else { return }
    let entry = drivers[d].entry
    let e = drivers[d].hash + slot * Self.hashEntrySize
    let bytes = load(e + 8)
    store(e, 1)  // a free entry: bit 0 set
    store(e + 4, load(entry + Entry.poolHashFree))
    store(e + 8, 0)
    store(e + 12, 0)
    store(entry + Entry.poolHashFree, slot)
    let paged = address >= KernelLayout.pagedPoolStart
    for counters in [entry + Entry.counters, NtGlobals.mmVerifierData + Data.counters] {
      count(counters, paged: paged, bytes: bytes, up: false)
    }
    log(.free, address: address, bytes: bytes, thread: thread, frames: frames())
  }

  /// Allocations of driver `d` not freed (paged and nonpaged), from its entry.
  func outstanding(_ d: Int) -> UInt32 {
    let c = drivers[d].entry + Entry.counters
    return load(c + Counters.currentPaged) &+ load(c + Counters.currentNonPaged)
  }

  /// The driver unloaded: its entry stays on the list, counting the unload.
  func unloaded(_ d: Int) {
    drivers[d].loaded = false
    bump(drivers[d].entry + Entry.unloads)
    bump(NtGlobals.mmVerifierData + Data.unloads)
  }

  // MARK: memory

  private func count(_ c: UInt32, paged: Bool, bytes: UInt32, up: Bool) {
    let (n, b, peakN, peakB) =
      paged
      ? (Counters.currentPaged, Counters.pagedBytes, Counters.peakPaged, Counters.peakPagedBytes)
      : (Counters.currentNonPaged, Counters.nonPagedBytes, Counters.peakNonPaged, Counters.peakNonPagedBytes)
    let blocks = up ? load(c + n) &+ 1 : load(c + n) &- 1
    let total = up ? load(c + b) &+ bytes : load(c + b) &- bytes
    store(c + n, blocks)
    store(c + b, total)
    if blocks > load(c + peakN) { store(c + peakN, blocks) }
    if total > load(c + peakB) { store(c + peakB, total) }
  }

  private func log(_ kind: LogKind, address: UInt32, bytes: UInt32, thread: UInt32, frames: [UInt32]) {
    let e = base + Self.logOffset + logged % Self.logCapacity * Self.logEntrySize
    store(e, address)
    store(e + 4, bytes)
    store(e + 8, thread)
    store(e + 12, kind.rawValue)
    for i in 0..<Self.logFrames { store(e + 16 + UInt32(4 * i), i < frames.count ? frames[i] : 0) }
    logged &+= 1
    nt.store(NtGlobals.viPoolLogIndex, logged)
  }

  private func bump(_ address: UInt32) { store(address, load(address) &+ 1) }

  private func isNt(_ address: UInt32) -> Bool {
    address >= KernelLayout.ntBase && address - KernelLayout.ntBase <= NtModule.imageSize - 4
  }

  /// Whether a dword at `address` lies in the region (everything stored here is; a guard against a bad address).
  private func inRegion(_ address: UInt32) -> Bool {
    address >= base && Int(address - base) + 4 <= memory.size
  }

  private func load(_ address: UInt32) -> UInt32 {
    if isNt(address) { return nt.load(address) }
    return inRegion(address) ? memory.load(address - base) : 0
  }

  private func store(_ address: UInt32, _ value: UInt32) {
    if isNt(address) {
      nt.store(address, value)
    } else if inRegion(address) {
      memory.store(address - base, value)
    }
  }

  private func storeU16(_ address: UInt32, _ value: UInt16) {
    memory.storeBytes(address - base, [UInt8(value & 0xff), UInt8(value >> 8)])
  }
}
