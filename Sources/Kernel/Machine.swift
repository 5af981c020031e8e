import CUnicorn
import Foundation
import Synchronization

/// Everything the simulated kernel is, confined to the kernel thread: the engine, memory, nt, pools,
/// modules, threads, breakpoints and virtual time. `Kernel` drives it; `KernelControl` exposes it.
final class Machine {
  /// What a hook asked the run loop to do once Unicorn has stopped.
  enum StopCause: Equatable {
    case yield
    case softwareBreakpoint(address: UInt32, handle: UInt32)
    /// A data breakpoint: `address` is the watched byte touched (the instruction's address for execution).
    case dataBreakpoint(handle: UInt32, address: UInt32)
    case hardcodedBreak(address: UInt32)
    case singleStep
    case bugCheckBreak
    case fault(code: UInt32, parameters: [UInt32])
  }

  enum SliceOutcome {
    case ran
    case halted
    /// Every thread waits; paced, until this virtual time (nil: nothing will ever wake).
    case idle(until: UInt64?)
  }

  let manifestName: String
  let era: KernelEra
  let emulator: Emulator
  let space: AddressSpace
  let nt: NtModule
  let kernelData: HostMemory
  let kpcr: HostMemory
  let sharedUserData: SharedUserData
  let pools: PoolManager

  /// What GetVersion reports and KdVersionBlock holds.
  var version: KernelVersion {
    var v = KernelVersion(kernelBase: KernelLayout.ntBase, psLoadedModuleList: NtGlobals.psLoadedModuleList)
    v.build = era.buildNumber
    v.debuggerDataList = KdDebuggerData.listHead
    v.versionBlock = KdDebuggerData.versionBlock
    return v
  }
  private(set) var modules: [LoadedModule] = []
  /// Each driver's DRIVER_OBJECT (nonpaged pool, tag 'Driv'): nt holds them as Windows' object manager does, so
  /// a reachability scan counts them as roots.
  private(set) var driverObjects: [UInt32] = []
  /// The manifest's ground truth (ours, `kd score`), each leak's function resolved in its module.
  private(set) var leaks: [ScenarioLeak] = []
  var scheduler: Scheduler
  var breakpoints = SoftwareBreakpoints()
  var dataBreakpoints = DataBreakpoints()
  /// Tag tracepoints (ours, `!pooltrace`).
  let poolTrace = PoolTraceRing()
  /// Driver Verifier, on a boot that verifies some driver.
  let verifier: DriverVerifier?
  /// A watched access by the instruction now completing; the next instruction boundary reports it.
  var pendingDataHit: (handle: UInt32, address: UInt32)?
  /// The resume after an execution breakpoint passes it once (x86's EFLAGS.RF): that thread and address.
  var executionBreakSkip: (thread: UInt32, address: UInt32)?
  var clock: VirtualClock
  var rng: SplitMix64
  var runState: RunState = .notStarted
  var eventHandler: (KernelEvent) -> Void = { _ in }
  /// Lab facility: halt when virtual time reaches this.
  var haltTime: UInt64?

  // Per-slice state, touched by hooks.
  var stopCause: StopCause?
  var budget = 0
  var servicesThisSlice = 0
  /// A slice stopped from outside (watchdog, debugger request) before it was done: the same thread
  /// continues with the rest of its budget, so such stops do not change what the target does.
  private var interruptedSlice: (thread: KernelThread, budget: Int)?
  /// Wall time a slice without service calls runs before the watchdog takes the CPU away.
  static let spinAllowanceNanos: UInt64 = 90_000_000
  /// The clock interrupt's period (10 ms of virtual time): what a `hlt` waits for.
  static let clockTick: UInt64 = 100_000
  var faultAddress: (UInt32, Bool)?
  var pendingBugCheck: (UInt32, [UInt32])?
  private var stepOver: UInt32?
  private var stepRequested = false
  /// True while a step runs with the trap flag the debugger set: the context a stop reports leaves it out
  /// (KD's `efl` after `p`/`t` does not show TF).
  private var stepping = false
  private var nextThreadIndex: UInt32 = 0
  /// Set while Unicorn runs (wall nanoseconds at slice start), read by the watchdog.
  let sliceStart: SliceClock

  init(
    configuration: KernelConfiguration, ntGlobalFlag: UInt32, verifier settings: [VerifierSetting],
    sliceStart: SliceClock
  ) throws(KernelError) {
    let (manifest, directory) = try ScenarioManifest.load(
      configuration.scenario, scenariosDirectory: configuration.scenariosDirectory)
    manifestName = manifest.name
    era = configuration.era ?? manifest.era ?? .server2003
    let seed = configuration.seed ?? manifest.seed ?? 1
    scheduler = Scheduler(seed: seed)
    rng = SplitMix64(seed: seed ^ 0x5EED_0000_0000_0000)
    let pace = configuration.pace ?? manifest.pace ?? 1
    guard KernelConfiguration.isValid(pace: pace) else {
      throw .invalidPace(pace, source: configuration.pace != nil ? "configuration" : directory.path + "/scenario.json")
    }
    clock = VirtualClock(pace: pace)
    self.sliceStart = sliceStart
    emulator = try Emulator()
    space = AddressSpace(emulator: emulator)

    // nt: image (header, stubs, globals) host-backed at its XP base.
    nt = try NtModule()
    try space.map(
      .init(
        base: KernelLayout.ntBase, size: NtModule.imageSize, writable: true, executable: true,
        kind: .image(module: "nt")), host: nt.memory)
    emulator.invalidate(KernelLayout.ntBase, KernelLayout.ntBase + NtModule.imageSize)
    let tagging = era == .server2003 || ntGlobalFlag & NtGlobals.flgPoolEnableTagging != 0
    let dataSize = (PoolTrackTable.byteSize + BigPageTable.byteSize).roundedUp(to: KernelLayout.pageSize)
    kernelData = try HostMemory(size: Int(dataSize), what: "pool tables")
    try space.map(
      .init(base: KernelLayout.kernelDataBase, size: dataSize, writable: true, executable: false, kind: .kernelData),
      host: kernelData)
    kpcr = try HostMemory(size: Int(KernelLayout.pageSize), what: "KPCR")
    try space.map(
      .init(
        base: KernelLayout.kpcr, size: KernelLayout.pageSize, writable: true, executable: false,
        kind: .processorControlRegion), host: kpcr)
    kpcr.store(0x1c, KernelLayout.kpcr)  // SelfPcr
    sharedUserData = try SharedUserData(era: era)
    try space.map(
      .init(
        base: SharedUserData.address, size: KernelLayout.pageSize, writable: false, executable: false,
        kind: .kernelData), host: sharedUserData.memory)
    kpcr.store(0x20, KernelLayout.kpcr + 0x120)  // Prcb
    pools = try PoolManager(
      space: space, kernelData: kernelData, trackOffset: 0, bigOffset: PoolTrackTable.byteSize,
      taggingEnabled: tagging, trackSites: configuration.poolSiteTracking)
    nt.store(NtGlobals.poolHitTag, NtGlobals.initialPoolHitTag)
    nt.store(NtGlobals.ntGlobalFlag, ntGlobalFlag)
    nt.store(NtGlobals.poolTrackTable, tagging ? pools.tracker.address : 0)
    nt.store(NtGlobals.poolTrackTableSize, tagging ? PoolTrackTable.capacity : 0)
    nt.store(NtGlobals.poolBigPageTable, pools.bigPages.address)
    nt.store(NtGlobals.poolBigPageTableSize, BigPageTable.capacity)
    nt.store(NtGlobals.mmNonPagedPoolStart, KernelLayout.nonPagedPoolStart)
    nt.store(NtGlobals.mmNonPagedPoolEnd0, KernelLayout.nonPagedPoolStart + KernelLayout.nonPagedPoolSize)
    nt.store(NtGlobals.mmNonPagedPoolExpansionStart, KernelLayout.nonPagedPoolExpansionStart)
    nt.store(
      NtGlobals.mmNonPagedPoolEnd, KernelLayout.nonPagedPoolExpansionStart + KernelLayout.nonPagedPoolExpansionSize)
    nt.store(NtGlobals.mmUnloadedDrivers, NtGlobals.unloadedDriverRing)
    nt.store(NtGlobals.mmPagedPoolStart, KernelLayout.pagedPoolStart)
    nt.store(NtGlobals.mmPagedPoolEnd, KernelLayout.pagedPoolStart + KernelLayout.pagedPoolSize)
    nt.store(NtGlobals.keNumberProcessors, 1)
    nt.store(NtGlobals.ntBuildNumber, 0xF000_0000 | UInt32(era.buildNumber))
    nt.storeString(NtGlobals.ntBuildLab, era.buildLab, capacity: NtGlobals.ntBuildLabSize)
    LoadedModuleList.initialize(nt: nt)
    verifier = try DriverVerifier(settings: settings, space: space, nt: nt)
    KdDebuggerData.install(in: nt, kpcr: kpcr, era: era, version: version)

    installHooks()
    let idle = try createThread(pc: nt.idleLoop, stackArgs: [], startRoutine: nt.idleLoop, isIdle: true)
    scheduler.makeCurrent(idle)

    var ntModule = LoadedModule(
      name: "nt", imageName: "ntoskrnl.exe", base: KernelLayout.ntBase, size: NtModule.imageSize,
      checksum: 0x001f_4b8a, timestamp: 0x4802_5bdd, entryPoint: 0, symbols: nt.symbols)
    ntModule.ldrEntry = try LoadedModuleList.append(
      ntModule, fullName: "\\WINDOWS\\system32\\ntoskrnl.exe", pools: pools,
      nt: nt, emulator: emulator)
    modules.append(ntModule)

    for m in manifest.modules {
      let url = directory.appendingPathComponent(m.image)
      let (image, pdb) = try ImageLoader.read(url)
      var loaded = try ImageLoader.load(
        image, pdb: pdb, file: url.path, name: m.name, taken: modules.dropFirst().map { ($0.base, $0.size) }, nt: nt,
        space: space)
      loaded.ldrEntry = try LoadedModuleList.append(
        loaded, fullName: "\\SystemRoot\\System32\\Drivers\\\(loaded.imageName)",
        pools: pools, nt: nt, emulator: emulator)
      let driverObject = try pools.allocate(poolType: 0, bytes: 0xa8, tag: 0x7669_7244)  // 'Driv'
      driverObjects.append(driverObject)
      loaded.driverObject = driverObject
      modules.append(loaded)
      verifier?.moduleLoaded(loaded)
      try createThread(
        pc: nt.loadDriver, stackArgs: [loaded.entryPoint, driverObject, 0], startRoutine: loaded.entryPoint)
    }
    for l in manifest.leaks ?? [] {
      guard let function = modules.first(where: { $0.name == l.module })?.symbols.first(where: { $0.name == l.symbol })
      else {
        throw .malformedManifest(
          file: directory.path + "/scenario.json", reason: "no leak function \(l.symbol) in \(l.module)")
      }
      let tag = l.tag.utf8.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      leaks.append(
        ScenarioLeak(
          module: l.module, symbol: l.symbol, address: function.address, tag: tag, blocksPerSecond: l.blocksPerSecond,
          bytesPerSecond: l.bytesPerSecond, referenced: l.referenced))
    }
    for t in manifest.threads ?? [] {
      guard let routine = modules.first(where: { $0.name == t.module })?.symbols.first(where: { $0.name == t.routine })
      else {
        throw .malformedManifest(
          file: directory.path + "/scenario.json", reason: "no routine \(t.routine) in \(t.module)")
      }
      try createThread(
        pc: nt.systemThreadStartup, stackArgs: [routine.address, t.context ?? 0], startRoutine: routine.address)
    }
  }

  // MARK: threads

  /// Maps a stack, allocates the KTHREAD and lays out a first frame: `pc` runs as if called with
  /// `stackArgs` by a caller that returns to 0 (so EBP chains end there).
  @discardableResult
  func createThread(pc: UInt32, stackArgs: [UInt32], startRoutine: UInt32, isIdle: Bool = false) throws(KernelError)
    -> KernelThread
  {
    guard nextThreadIndex < KernelLayout.maxThreads else {
      throw .outOfMemory(what: "thread stacks (\(KernelLayout.maxThreads) threads)")
    }
    let index = nextThreadIndex
    nextThreadIndex += 1
    let slot = KernelLayout.stackArea + index * KernelLayout.stackSlot
    let limit = slot + KernelLayout.stackSlot - KernelLayout.stackSize
    let top = slot + KernelLayout.stackSlot
    let kthread = try pools.allocate(poolType: 0, bytes: KThreadLayout.size, tag: KThreadLayout.tag)
    guard kthread != 0 else { throw .outOfMemory(what: "nonpaged pool for a KTHREAD") }
    try space.map(
      .init(base: limit, size: KernelLayout.stackSize, writable: true, executable: false, kind: .stack(thread: kthread))
    )
    let id: UInt32 = isIdle ? 0 : 4 + 4 * index
    var frame: [UInt8] = []
    for v in [0] + stackArgs { withUnsafeBytes(of: v.littleEndian) { frame += $0 } }
    let esp = top - 16 - UInt32(frame.count)
    emulator.write(esp, frame)
    var header = [UInt8](repeating: 0, count: Int(KThreadLayout.size))
    header[0] = 6
    header[2] = 0x70  // DISPATCHER_HEADER: ThreadObject
    emulator.write(kthread, header)
    emulator.writeU32(kthread + KThreadLayout.initialStack, top)
    emulator.writeU32(kthread + KThreadLayout.stackLimit, limit)
    emulator.writeU32(kthread + KThreadLayout.kernelStack, esp)
    emulator.writeU32(kthread + KThreadLayout.cid, 4)
    emulator.writeU32(kthread + KThreadLayout.cid + 4, id)
    var ctx = X86Context()
    ctx.esp = esp
    ctx.eip = pc
    if isIdle {
      // KiIdleLoop has no prologue: give it the frame one would have made (saved EBP 0, returning to 0),
      // so its stack shows `nt!KiIdleLoop` and ends there.
      ctx.ebp = esp &- 4
      emulator.writeU32(esp &- 4, 0)
    }
    let t = KernelThread(
      id: id, kthread: kthread, startRoutine: startRoutine, stackBase: top, stackLimit: limit,
      isIdle: isIdle, regs: ctx.gprs)
    scheduler.add(t)
    return t
  }

  var currentThread: KernelThread { scheduler.current ?? scheduler.idle! }

  /// A driver unloaded: gone from the module list (its image stays mapped).
  func removeModule(at index: Int) { modules.remove(at: index) }

  func thread(_ kthread: UInt32?) throws(KernelError) -> KernelThread {
    guard let kthread else { return currentThread }
    guard let t = scheduler.thread(kthread: kthread) ?? scheduler.threads.first(where: { $0.id == kthread }) else {
      throw .unknownThread(kthread)
    }
    return t
  }

  // MARK: hooks

  private func installHooks() {
    emulator.onInterrupt = { [unowned self] intno in self.interrupt(intno) }
    emulator.onInvalidMemory = { [unowned self] address, write in self.faultAddress = (address, write) }
    emulator.onWatchedAccess = { [unowned self] address, size, write in
      self.watchedAccess(address, size: size, write: write)
    }
    emulator.onInstruction = { [unowned self] address in self.instructionBoundary(address) }
  }

  private func interrupt(_ intno: UInt32) {
    switch intno {
    case 0x2e:
      let number = emulator.reg(UC_X86_REG_EAX)
      guard let service = NtService(rawValue: number) else {
        stopCause = .fault(
          code: 0x1e, parameters: [ExceptionCode.illegalInstruction, emulator.reg(UC_X86_REG_EIP) &- 2, 0, number])
        emulator.stop()
        return
      }
      // The watchdog stops only code that has made no service call for a while: this one restarts its clock
      // (a slice renewed below can otherwise run past the watchdog's limit and be stopped mid-block).
      sliceStart.begin()
      clock.advance(by: NtService.callCost)
      perform(service)
      budget -= 1
      servicesThisSlice += 1
      if budget <= 0, stopCause == nil, currentThread.state == .ready, !sliceStart.attention,
        !sliceStart.requestsWaiting, !poolTrace.needsHandover,
        haltTime.map({ clock.now < $0 }) ?? true, !scheduler.hasOtherRunnable(now: clock.now)
      {
        budget = scheduler.sliceBudget()  // nobody else could run: a new slice without stopping
      }
      if stopCause != nil || budget <= 0 || currentThread.state != .ready || sliceStart.attention { emulator.stop() }
    case 3:
      let at = emulator.reg(UC_X86_REG_EIP) &- 1
      if let handle = breakpoints.handle(at: at) {
        stopCause = .softwareBreakpoint(address: at, handle: handle)
      } else if at == nt.bugCheckBreak, pendingBugCheck != nil {
        stopCause = .bugCheckBreak
      } else {
        stopCause = .hardcodedBreak(address: at)
      }
      emulator.stop()
    case 1:
      stopCause = .singleStep
      emulator.stop()
    case 0:
      let eip = emulator.reg(UC_X86_REG_EIP)
      stopCause = .fault(code: 0x8e, parameters: [ExceptionCode.integerDivideByZero, eip, 0, 0])
      emulator.stop()
    default:
      let eip = emulator.reg(UC_X86_REG_EIP)
      stopCause = .fault(code: 0x7f, parameters: [intno, 0, 0, eip])
      emulator.stop()
    }
  }

  // MARK: running

  /// Starts or resumes the target. Steps over a hard-coded `int 3` or one of our breakpoints at the pc.
  func resume(singleStep: Bool) throws(KernelError) {
    switch runState {
    case .running: throw .notHalted
    case .halted(let event):
      if case .bugCheck(let code, _) = event.reason { throw .targetBugChecked(code: code) }
    case .notStarted: break
    }
    let t = currentThread
    if breakpoints.handle(at: t.eip) != nil {
      stepOver = t.eip
    } else if emulator.read(t.eip, count: 1) == [0xcc] {
      t.eip &+= 1  // continue after a hard-coded break, as Windows does
    }
    if dataBreakpoints.execution(at: t.eip) != nil { executionBreakSkip = (t.kthread, t.eip) }
    stepRequested = singleStep
    runState = .running
    clock.anchor()
    eventHandler(.running)
  }

  /// One scheduling slice. Called by the kernel thread while the state is `.running`.
  func runSlice() -> SliceOutcome {
    if let (t, rest) = interruptedSlice {
      interruptedSlice = nil
      if t.state == .ready, stepOver == nil, !stepRequested { return execute(t, budget: rest) }
    }
    if let limit = haltTime, clock.now >= limit {
      haltTime = nil
      halt(interruptedThread, reason: .timeLimit)
      return .halted
    }
    if stepOver != nil || stepRequested { return stepSlice() }
    clock.followWall()
    sharedUserData.publish(interruptTime: clock.now)
    guard let t = scheduler.next(now: clock.now) else {
      guard let target = [scheduler.earliestWake(), haltTime].compactMap({ $0 }).min() else {
        return .idle(until: nil)
      }
      if clock.pace == 0 {
        clock.jump(to: target)
        return .ran
      }
      return .idle(until: target)
    }
    return execute(t, budget: scheduler.sliceBudget())
  }

  private func stepSlice() -> SliceOutcome {
    let t = currentThread
    if let at = stepOver { breakpoints.lift(at, space: space) }
    t.regs[9] |= 0x100  // TF
    stepping = true
    let outcome = execute(t, budget: Int.max)
    stepping = false
    t.regs[9] &= ~0x100
    if let at = stepOver { breakpoints.reinsert(at, space: space) }
    stepOver = nil
    if case .halted = outcome {
      stepRequested = false
      return outcome
    }
    if stepRequested {
      stepRequested = false
      halt(t, reason: .singleStep)
      return .halted
    }
    return .ran
  }

  private func execute(_ t: KernelThread, budget: Int) -> SliceOutcome {
    scheduler.makeCurrent(t)
    kpcr.store(KernelLayout.kpcrCurrentThread, t.kthread)  // KPRCB.CurrentThread
    emulator.writeGPRs(t.regs)
    self.budget = budget
    servicesThisSlice = 0
    stopCause = nil
    faultAddress = nil
    pendingDataHit = nil
    let began = SliceClock.threadCPUNanos()
    sliceStart.begin()
    let outcome = emulator.run(from: t.eip)
    sliceStart.end()
    t.regs = emulator.readGPRs()
    if stepping { t.regs[9] &= ~0x100 }  // the debugger's TF, not the guest's
    var cause = stopCause
    stopCause = nil
    if let hit = pendingDataHit, cause == nil || cause == .yield, outcome == .stopped {
      // The watched access was the last thing the run did: report it now, as the next boundary would have.
      cause = .dataBreakpoint(handle: hit.handle, address: hit.address)
    }
    pendingDataHit = nil
    switch outcome {
    case .stopped: break
    case .unmapped:
      let (address, write) = faultAddress ?? (0, false)
      return bugCheckFromFault(t, code: 0x50, parameters: [address, write ? 1 : 0, t.eip, 0])
    case .invalidInstruction:
      return bugCheckFromFault(t, code: 0x8e, parameters: [ExceptionCode.illegalInstruction, t.eip, 0, 0])
    case .other(let err):
      return bugCheckFromFault(t, code: 0x7f, parameters: [err, 0, 0, t.eip])
    case .engineAborted:
      // Unicorn 2.0.1 aborts translating some invalid encodings (ff /3 and ff /5 with a register operand) that
      // a CPU answers with #UD: the same bug check as any invalid opcode. The registers are those at the
      // start of the block it could not translate (none of that block ran); EIP is that block's start.
      return bugCheckFromFault(t, code: 0x8e, parameters: [ExceptionCode.illegalInstruction, t.eip, 0, 0])
    case .haltInstruction:
      // hlt waits for the next interrupt; the only one here is the clock's (found by KDKernelFuzz: a hlt loop
      // froze virtual time, each run ending at once).
      t.state = .waiting(until: VirtualClock.saturatingSum(clock.now / Self.clockTick * Self.clockTick, Self.clockTick))
      return .ran
    case .reachedSentinel:
      // Code jumped to the engine's stop address, which is unmapped: the fetch there faults.
      return bugCheckFromFault(t, code: 0x50, parameters: [t.eip, 0, t.eip, 0])
    }
    switch cause {
    case nil:
      guard self.budget > 0, t.state == .ready else { return .ran }
      if servicesThisSlice > 0 || SliceClock.threadCPUNanos() &- began < Self.spinAllowanceNanos {
        // Stopped at a service call for the host: the same thread goes on with the rest of its
        // budget, so debugger requests do not change what the target does.
        interruptedSlice = (t, self.budget)
      } else {
        // Preempted by the watchdog after running long without a service call: the thread loses
        // the CPU and the CPU time it used counts as virtual time, so it cannot freeze the clock.
        clock.advance(by: (SliceClock.threadCPUNanos() &- began) / 100)
      }
      return .ran
    case .yield?: return .ran
    case .softwareBreakpoint(let address, let handle)?:
      t.eip = address
      halt(t, reason: .breakpoint(handle: handle))
    case .hardcodedBreak(let address)?:
      t.eip = address
      halt(t, reason: .hardcoded)
    case .dataBreakpoint(let handle, let address)?:
      halt(t, reason: .dataBreakpoint(handle: handle, address: address))
    case .singleStep?:
      stepRequested = false
      halt(t, reason: .singleStep)
    case .bugCheckBreak?:
      t.eip = nt.bugCheckBreak
      let (code, params) = pendingBugCheck ?? (0, [])
      halt(t, reason: .bugCheck(code: code, parameters: params))
    case .fault(let code, let params)?:
      return bugCheckFromFault(t, code: code, parameters: params)
    }
    return .halted
  }

  /// A kernel-mode fault: build the frame KeBugCheckEx would have (args, return to the faulting
  /// instruction, saved EBP) on the thread's stack and stop at KeBugCheckEx's `int 3`. When that stack
  /// cannot take the frame (the fault was a kernel stack overflow), Windows takes a double fault on a stack
  /// of its own: UNEXPECTED_KERNEL_MODE_TRAP (0x7F) with EXCEPTION_DOUBLE_FAULT (8), its frame at the top of
  /// the KPCR page (the double-fault stack), returning to the faulting instruction.
  private func bugCheckFromFault(_ t: KernelThread, code: UInt32, parameters: [UInt32]) -> SliceOutcome {
    var ctx = t.context
    func frame(_ code: UInt32, _ parameters: [UInt32]) -> [UInt8] {
      var bytes: [UInt8] = []
      for v in [ctx.ebp, ctx.eip, code] + parameters { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
      return bytes
    }
    var (code, parameters) = (code, parameters)
    var bytes = frame(code, parameters)
    var esp = ctx.esp &- UInt32(bytes.count)
    if !emulator.write(esp, bytes) {
      (code, parameters) = (0x7f, [8, 0, 0, 0])
      bytes = frame(code, parameters)
      esp = KernelLayout.doubleFaultStackTop - UInt32(bytes.count)
      emulator.write(esp, bytes)
    }
    recordBugCheck(code: code, parameters: parameters)
    ctx.esp = esp
    ctx.ebp = esp
    ctx.eip = nt.bugCheckBreak
    t.regs = ctx.gprs
    halt(t, reason: .bugCheck(code: code, parameters: parameters))
    return .halted
  }

  func recordBugCheck(code: UInt32, parameters: [UInt32]) {
    pendingBugCheck = (code, parameters)
    for (i, v) in ([code] + parameters).enumerated() { nt.store(NtGlobals.kiBugCheckData + UInt32(4 * i), v) }
  }

  /// Stops everything: the state becomes halted and the host hears about it.
  func halt(_ t: KernelThread, reason: BreakEvent.Reason) {
    scheduler.makeCurrent(t)
    sharedUserData.publish(interruptTime: clock.now)
    let ctx = t.context
    let code: UInt32 =
      switch reason {
      case .singleStep, .dataBreakpoint: ExceptionCode.singleStep  // #DB, as the debug registers raise it
      default: ExceptionCode.breakpoint
      }
    var event = BreakEvent(
      thread: t.kthread, pc: ctx.eip, exceptionCode: code, exceptionAddress: ctx.eip,
      parameters: [], reason: reason, context: ctx,
      stack: stack(of: t, maxFrames: BreakEvent.capturedStackFrames), virtualTime: clock.now)
    var stream = space.readAvailable(ctx.eip, count: 16)
    breakpoints.hide(in: &stream.bytes, at: ctx.eip)
    event.instructionStream = stream.bytes
    runState = .halted(event)
    eventHandler(.halted(event))
  }

  /// A thread's stack as KD walks it, over code with our breakpoints hidden.
  func stack(of t: KernelThread, maxFrames: Int) -> [StackFrame] {
    let ctx = t.context
    return StackWalker.walk(ebp: ctx.ebp, esp: ctx.esp, eip: ctx.eip, emulator: emulator, maxFrames: maxFrames) {
      var stream = space.readAvailable($0, count: $1)
      breakpoints.hide(in: &stream.bytes, at: $0)
      return stream.bytes
    }
  }

  func breakIn() {
    guard case .running = runState else { return }
    halt(interruptedThread, reason: .breakIn)
  }

  /// Halts a machine that has not run yet, on its idle thread before its first instruction, as a break-in
  /// (`KernelConfiguration.breakAtBoot`).
  func haltAtBoot() {
    guard case .notStarted = runState else { return }
    halt(scheduler.idle ?? currentThread, reason: .breakIn)
  }

  /// The thread a break-in or time limit stops "on": the last one that ran if it can still run,
  /// else the idle thread (every other thread waits), as KD shows when breaking into an idle target.
  var interruptedThread: KernelThread {
    let t = currentThread
    return t.state == .ready ? t : (scheduler.idle ?? t)
  }

  // MARK: services' helpers

  /// The n-th stdcall/cdecl argument of the stub whose frame EBP points at.
  func arg(_ n: Int) -> UInt32 {
    emulator.readU32(emulator.reg(UC_X86_REG_EBP) &+ 8 &+ UInt32(4 * n)) ?? 0
  }

  /// EIP/ESP of the running thread, inside a hook.
  var liveEIP: UInt32 { emulator.reg(UC_X86_REG_EIP) }
  var liveESP: UInt32 { emulator.reg(UC_X86_REG_ESP) }

  func setResult(_ eax: UInt32) { emulator.setReg(UC_X86_REG_EAX, eax) }

  /// A service found bad input from driver code: stop with this bug check at its int 3 frame.
  func serviceBugCheck(code: UInt32, parameters: [UInt32]) {
    stopCause = .fault(code: code, parameters: parameters)
  }
}

/// The kernel thread's CPU time at which the current slice started (0 = not in a slice); written by the kernel
/// thread, read by the watchdog. CPU time, not wall time: a thread the host did not run (a loaded machine) has
/// not spun, and stopping it mid-block would rewind EIP over side effects Unicorn keeps (pushes re-run: the
/// guest returns to a value it pushed and bug-checks 0x50, seen at load average 15).
final class SliceClock: Sendable {
  private let started = Atomic<UInt64>(0)
  private let pending = Atomic<Bool>(false)
  private let waiting = Atomic<Bool>(false)
  /// The kernel thread's CPU-time clock (pthread_getcpuclockid), or CLOCK_MONOTONIC before it is bound.
  private let kernelClock = Atomic<Int32>(Int32(CLOCK_MONOTONIC))
  /// The host wants the kernel thread (a request or a break-in): the next service call ends the slice,
  /// an exact stop between two instructions.
  var attention: Bool {
    get { pending.load(ordering: .relaxed) }
    set { pending.store(newValue, ordering: .relaxed) }
  }
  /// Requests wait for the kernel thread (set with `attention`, but not cleared while a slice pays back the
  /// target's share): a slice then ends with its budget instead of renewing it.
  var requestsWaiting: Bool {
    get { waiting.load(ordering: .relaxed) }
    set { waiting.store(newValue, ordering: .relaxed) }
  }
  func begin() { started.store(max(1, Self.threadCPUNanos()), ordering: .relaxed) }
  func end() { started.store(0, ordering: .relaxed) }
  var value: UInt64 { started.load(ordering: .relaxed) }

  /// Called on the kernel thread once: from then on the watchdog measures that thread's CPU time.
  func bindKernelThread() {
    var id = clockid_t()
    if pthread_getcpuclockid(pthread_self(), &id) == 0 { kernelClock.store(Int32(id), ordering: .relaxed) }
  }

  /// CPU time the kernel thread has used since the slice began (nil outside a slice); read by the watchdog.
  var sliceCPUNanos: UInt64? {
    let s = value
    guard s != 0 else { return nil }
    var ts = timespec()
    guard clock_gettime(clockid_t(kernelClock.load(ordering: .relaxed)), &ts) == 0 else { return nil }
    let now = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    return now > s ? now - s : 0
  }

  /// The calling thread's CPU time in nanoseconds.
  static func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }
}
