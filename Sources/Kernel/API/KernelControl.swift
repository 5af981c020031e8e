/// The kernel as the debugger sees it. Valid only inside `Kernel.sync`, on the kernel thread.
public struct KernelControl {
  let kernel: Kernel
  private var machine: Machine { kernel.currentMachine }

  public var runState: RunState { machine.runState }

  /// Virtual time since boot, 100 ns units.
  public var virtualTime: UInt64 { machine.clock.now }

  public func version() -> KernelVersion { machine.version }

  /// One past the highest 32-bit address.
  public static let addressSpaceEnd: UInt64 = 0x1_0000_0000

  /// Largest single read (larger requests come back short, with no fault address).
  public static let maxRead = 16 << 20

  /// Bytes up to the first unmapped one; our breakpoints' 0xCC bytes read as the original bytes.
  public func readVirtual(_ address: UInt32, count: Int) -> MemoryRead {
    var r = machine.space.readAvailable(address, count: min(max(0, count), Self.maxRead))
    machine.breakpoints.hide(in: &r.bytes, at: address)
    return r
  }

  /// Writes through the single code-write path (translation cache invalidated); a write over one of
  /// our breakpoints changes the byte it restores and leaves the 0xCC in place.
  public func writeVirtual(_ address: UInt32, _ bytes: [UInt8]) -> MemoryWrite {
    var b = bytes
    machine.breakpoints.absorb(&b, at: address)
    return machine.space.writeCode(address, b)
  }

  /// First address in [from, from+length) where `pattern` occurs (unmapped stretches skipped). The range
  /// ends at the top of the 32-bit address space however long `length` is.
  public func searchVirtual(from: UInt32, length: UInt64, pattern: [UInt8]) -> UInt32? {
    guard !pattern.isEmpty, length >= pattern.count else { return nil }
    let end = Self.searchEnd(from: from, length: length)
    var cursor = UInt64(from)
    while true {
      switch searchVirtual(from: cursor, end: end, pattern: pattern, budget: Int.max) {
      case .found(let address): return address
      case .notFound: return nil
      case .resume(let next): cursor = next
      }
    }
  }

  /// Where a search of `length` bytes from `from` ends: clipped at the top of the address space.
  public static func searchEnd(from: UInt32, length: UInt64) -> UInt64 {
    let (sum, overflow) = UInt64(from).addingReportingOverflow(length)
    return overflow ? addressSpaceEnd : min(sum, addressSpaceEnd)
  }

  /// How far a budgeted search got.
  public enum SearchProgress: Sendable, Equatable {
    case found(UInt32)
    case notFound
    /// `budget` bytes were scanned: go on from here.
    case resume(at: UInt64)
  }

  /// One piece of a search of [`cursor`, `end`): scans about `budget` mapped bytes (unmapped gaps are skipped
  /// for free), so a long search can be served in turns with the target's own execution.
  public func searchVirtual(from start: UInt64, end: UInt64, pattern: [UInt8], budget: Int) -> SearchProgress {
    guard !pattern.isEmpty else { return .notFound }
    var cursor = start
    var scanned = 0
    while cursor < end, cursor <= UInt64(UInt32.max) {
      if scanned >= budget { return .resume(at: cursor) }
      let chunkEnd = min(end, (cursor & ~0xffff) + 0x10000 + UInt64(pattern.count - 1))
      let read = readVirtual(UInt32(cursor), count: Int(chunkEnd - cursor))
      scanned += read.bytes.count
      if let i = firstIndex(of: pattern, in: read.bytes) { return .found(UInt32(cursor) + UInt32(i)) }
      if let fault = read.faultAddress {
        guard let next = machine.space.regions.first(where: { UInt64($0.base) > UInt64(fault) && $0.size > 0 }) else {
          return .notFound
        }
        cursor = UInt64(next.base)
      } else {
        cursor = (cursor & ~0xffff) + 0x10000
      }
    }
    return .notFound
  }

  private func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= pattern.count else { return nil }
    let first = pattern[0]
    var i = 0
    while i <= bytes.count - pattern.count {
      if bytes[i] == first, Array(bytes[i..<i + pattern.count]) == pattern { return i }
      i += 1
    }
    return nil
  }

  /// The first mapped address at or after `address`, or nil when nothing is mapped above it: lets a debugger
  /// step over an unmapped gap in one request instead of probing it page by page.
  public func nextMappedAddress(from address: UInt32) -> UInt32? {
    if machine.space.region(containing: address) != nil { return address }
    return machine.space.regions.first { $0.base > address }?.base
  }

  public func queryRegion(_ address: UInt32) -> MemoryRegion? {
    guard let r = machine.space.region(containing: address) else { return nil }
    return MemoryRegion(base: r.base, size: r.size, writable: r.writable, executable: r.executable, kind: r.kind)
  }

  /// Registers of `thread` (KTHREAD address or thread id; the current thread if nil).
  public func context(thread: UInt32?) throws(KernelError) -> X86Context {
    try machine.thread(thread).context
  }

  public func setContext(_ c: X86Context, thread: UInt32?) throws(KernelError) {
    guard case .halted = machine.runState else { throw .notHalted }
    try machine.thread(thread).regs = c.gprs
  }

  public func setBreakpoint(at address: UInt32) throws(KernelError) -> UInt32 {
    try machine.breakpoints.insert(at: address, space: machine.space)
  }

  public func removeBreakpoint(handle: UInt32) throws(KernelError) {
    try machine.breakpoints.remove(handle: handle, space: machine.space)
  }

  /// A data breakpoint (x86 debug-register rules: at most four, 1/2/4 bytes aligned on the size; execution ones
  /// of size 1). Its hits halt the target with reason `.dataBreakpoint`. Only guest instructions are watched:
  /// nt's services run on the host and their accesses are not seen.
  public func setDataBreakpoint(address: UInt32, size: UInt32, access: DataAccess) throws(KernelError) -> UInt32 {
    try machine.setDataBreakpoint(address: address, size: size, access: access)
  }

  public func removeDataBreakpoint(handle: UInt32) throws(KernelError) {
    try machine.removeDataBreakpoint(handle: handle)
  }

  public func dataBreakpoints() -> [DataBreakpointInfo] { machine.dataBreakpointInfos }

  /// Only when halted (or not started); emits `.running`. Steps over a hard-coded `int 3` at the pc.
  public func resume(singleStep: Bool) throws(KernelError) {
    try machine.resume(singleStep: singleStep)
  }

  /// Lab facility for tests and benchmarks: halt (reason `.timeLimit`) once virtual time reaches `t`.
  public func haltAt(virtualTime t: UInt64?) {
    machine.haltTime = t
  }

  public func stackTrace(thread: UInt32?, maxFrames: Int) -> [StackFrame] {
    guard let t = try? machine.thread(thread) else { return [] }
    return machine.stack(of: t, maxFrames: maxFrames)
  }

  public func modules() -> [ModuleInfo] { machine.modules.map(\.info) }

  public func symbols(moduleBase: UInt32) -> [KernelSymbol]? {
    machine.modules.first { $0.base == moduleBase }?.symbols
  }

  /// Where the symbols of the module at `moduleBase` come from: `.some(nil)` for its exports (nt's table), nil
  /// when no module is there.
  public func symbolFile(moduleBase: UInt32) -> SymbolFileInfo?? {
    machine.modules.first { $0.base == moduleBase }.map(\.symbolFile)
  }

  /// Every thread. The one on the processor is `.running`, as Windows shows it: while the target runs, the
  /// thread that ran last if it can still run, else the idle thread (the thread a break-in would stop in);
  /// while halted, the thread the break stopped in. Before the first start, none.
  public func threads() -> [ThreadInfo] {
    let onProcessor: KernelThread? =
      switch machine.runState {
      case .running: machine.interruptedThread
      case .halted(let event): machine.scheduler.threads.first { $0.kthread == event.thread }
      case .notStarted: nil
      }
    return machine.scheduler.threads.map { t in
      let state: ThreadInfo.State
      switch t.state {
      case _ where t === onProcessor: state = .running
      case _ where t.isIdle: state = .idle
      case .terminated: state = .terminated
      case .waiting: state = .waiting
      case .ready: state = .ready
      }
      return ThreadInfo(
        id: t.id, kthread: t.kthread, state: state, pc: t.eip, startRoutine: t.startRoutine,
        stackBase: t.stackBase, stackLimit: t.stackLimit)
    }
  }

  /// Reloads the scenario into a fresh machine that starts running; NtGlobalFlag survives (so an XP
  /// target picks up +ptg here). Emits `.rebooted` then `.running`.
  public func reboot() throws(KernelError) {
    try kernel.reboot()
  }

  // MARK: pool call sites (ours)

  /// Outstanding blocks per allocating call site, with each site's sampled history. Empty when site tracking is
  /// off (``KernelConfiguration/poolSiteTracking``).
  public func poolSites() -> PoolSiteReport {
    let table = machine.pools.sites
    return PoolSiteReport(
      virtualTime: machine.clock.now, sampleInterval: PoolSiteTable.sampleInterval, sampleTimes: table.sampleTimes,
      sites: table.sites.map {
        PoolSiteInfo(
          callSite: $0.callSite, tag: $0.tag, subTag: $0.subTag, outstandingBlocks: $0.blocks,
          outstandingBytes: $0.bytes, allocations: $0.allocations, frees: $0.frees, frames: $0.frames,
          history: $0.history)
      })
  }

  /// The sub-tags of split tags, per call site (`tag` nil: of every split tag), in the order they were given.
  public func poolTagAssignments(tag: UInt32? = nil) -> [PoolTagAssignment] {
    machine.pools.sites.sites.filter { $0.subTag != 0 && (tag == nil || $0.tag == tag) }
      .map { PoolTagAssignment(tag: $0.tag, subTag: $0.subTag, callSite: $0.callSite) }
      .sorted { ($0.tag, $0.subTag >> 16 & 0xff) < ($1.tag, $1.subTag >> 16 & 0xff) }
  }

  /// Splits `tag` (protected bit ignored) by call site (`!tagsplit Tag`); returns its sub-tags so far.
  public func splitPoolTag(_ tag: UInt32) throws(KernelError) -> [PoolTagAssignment] {
    guard machine.pools.trackSites else { throw .poolSitesOff }
    let key = tag & ~PoolManager.protectedBit
    machine.pools.split(key)
    return poolTagAssignments(tag: key)
  }

  /// Merges split tags back (`tag` nil: every split tag); returns the sub-tags that were merged.
  public func mergePoolTag(_ tag: UInt32?) -> [PoolTagAssignment] {
    let tags = tag.map { [$0 & ~PoolManager.protectedBit] } ?? Array(machine.pools.tagSplit.split.keys)
    var merged: [PoolTagAssignment] = []
    for t in tags {
      merged += poolTagAssignments(tag: t)
      machine.pools.merge(t)
    }
    return merged
  }

  // MARK: reachability (ours)

  /// A kmemleak-style mark-and-scan of the pools (``PoolScan``), with the target halted: per call site, the
  /// outstanding blocks and the lost ones (no pointer reaches them).
  public func poolScan() throws(KernelError) -> PoolScanReport {
    guard case .halted = machine.runState else { throw .notHalted }
    var scan = PoolScan(pools: machine.pools)
    scan.mark(machine)
    return scan.report(sites: machine.pools.sites, time: machine.clock.now)
  }

  /// The leaking call sites the scenario declares (ours: the ground truth `kd score` grades against).
  public func scenarioLeaks() -> [ScenarioLeak] { machine.leaks }

  // MARK: tag tracepoints (ours)

  /// Starts logging matching pool calls without halting (a running trace restarts: sequences from 0). Events
  /// come as ``KernelEvent/poolTrace(_:dropped:)`` after each slice.
  public func startPoolTrace(_ filter: PoolTraceFilter) -> PoolTraceStatus {
    kernel.flushPoolTrace()
    machine.poolTrace.start(filter)
    return machine.poolTrace.status
  }

  /// Stops logging; the events logged so far are handed over first.
  public func stopPoolTrace() -> PoolTraceStatus {
    machine.poolTrace.stop()
    kernel.flushPoolTrace()
    return machine.poolTrace.status
  }

  /// The trace's state; the events logged so far are handed over first.
  public func poolTraceStatus() -> PoolTraceStatus {
    kernel.flushPoolTrace()
    return machine.poolTrace.status
  }
}
