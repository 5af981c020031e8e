import Dispatch
import Foundation
import Synchronization

/// The simulated kernel. The engine and everything it owns live on the kernel's own thread; other
/// threads talk to it through `sync`, `breakIn`, `start` and `shutdown`.
public final class Kernel: @unchecked Sendable {
  // Safe: `machine` is only touched on the kernel thread (or before it starts); the mailbox fields
  // (requests, flags, handler, kernelThread) are only touched with `condition` locked; stop handles sit
  // behind a Mutex and the slice clock is atomic.
  private let configuration: KernelConfiguration
  private var machine: Machine
  private let condition = NSCondition()
  private var requests: [() -> Void] = []
  private var breakRequested = false
  private var shutdownRequested = false
  private var startRequested = false
  private var handler: (@Sendable (KernelEvent) -> Void)?
  private var kernelThread: pthread_t?
  /// The kernel thread waits on `condition` with the target halted: it touches nothing until woken.
  private var parked = false
  /// The last event delivered was a halt (not yet followed by running or a reboot): the state the host knows.
  /// Set before the event is handed over, so a client that has seen the halt always finds it set.
  private var reportedHalted = false
  /// Another thread is reading the parked machine (``inspectHalted(_:)``); the kernel thread waits for it.
  private var inspecting = false
  private let stopHandle: Mutex<Emulator.StopHandle>
  private let sliceClock = SliceClock()
  private let finished = Atomic<Bool>(false)
  /// Target time owed for request work done while it ran (kernel thread only).
  private var owedNanos: UInt64 = 0
  /// Driver Verifier settings for the next boot (kernel thread only): Windows keeps them in the registry; they
  /// survive reboots and take effect at the next one.
  var verifierSettings: [VerifierSetting]
  /// The target's guaranteed share: each nanosecond of request work while it runs is paid back with this many
  /// nanoseconds of target execution (4: the target keeps at least 80% of the kernel thread when it has work).
  static let targetShare: UInt64 = 4
  /// At most this much owed at once, so one long request cannot hold off the next for long.
  static let maxOwedNanos: UInt64 = 4_000_000
  /// A slice that has run this long (code making no service call) is stopped from outside.
  private static let maxSliceNanos: UInt64 = 100_000_000

  /// Loads the scenario (malformed COFF objects or manifests are refused with the file and the reason).
  public init(configuration: KernelConfiguration) throws(KernelError) {
    self.configuration = configuration
    verifierSettings = configuration.verifier
    let machine = try Machine(
      configuration: configuration, ntGlobalFlag: configuration.ntGlobalFlag, verifier: configuration.verifier,
      sliceStart: sliceClock)
    self.machine = machine
    stopHandle = Mutex(machine.emulator.stopHandle)
    machine.eventHandler = { [unowned self] in self.deliver($0) }
    let kernelLoop = Thread { [self] in self.kernelLoop() }
    kernelLoop.name = "kernel"
    kernelLoop.stackSize = 8 << 20
    kernelLoop.start()
    let watchdog = Thread { [self] in self.watchdogLoop() }
    watchdog.name = "kernel-watchdog"
    watchdog.start()
  }

  public func setEventHandler(_ h: @escaping @Sendable (KernelEvent) -> Void) {
    condition.lock()
    handler = h
    condition.unlock()
  }

  /// The target starts running (once), or halts at boot with `breakAtBoot`.
  public func start() {
    post { [self] in
      guard case .notStarted = machine.runState else { return }
      if configuration.breakAtBoot { machine.haltAtBoot() } else { try? machine.resume(singleStep: false) }
    }
  }

  /// Stops the kernel thread for good and drops the event handler (which usually holds the kernel's owner: a
  /// host that made many kernels in one process would otherwise keep every engine alive).
  public func shutdown() {
    condition.lock()
    shutdownRequested = true
    handler = nil
    sliceClock.attention = true
    condition.broadcast()
    condition.unlock()
  }

  /// Halts every thread at its current instruction; a `.halted` event with reason `.breakIn` follows. Returns
  /// false, and does nothing, when the target is already halted as last reported (its `.halted` event has been
  /// delivered, and no `.running` since): there is no new halt to report.
  @discardableResult
  public func breakIn() -> Bool {
    condition.lock()
    if reportedHalted {
      condition.unlock()
      return false
    }
    breakRequested = true
    sliceClock.attention = true
    condition.broadcast()
    condition.unlock()
    return true
  }

  /// Runs `body` on the kernel thread between slices (while running too: reads do not halt the target).
  public func sync<T: Sendable>(_ body: (KernelControl) throws(KernelError) -> T) throws(KernelError) -> T {
    if isKernelThread { return try body(KernelControl(kernel: self)) }
    let result: Result<T, KernelError> = withoutActuallyEscaping(body) { escapable in
      let box = SyncBox<T>(escapable)
      let done = DispatchSemaphore(value: 0)
      let accepted = post { [self] in
        box.run(KernelControl(kernel: self))  // drops its reference to `body` before signalling
        done.signal()
      }
      if accepted { done.wait() } else { box.drop() }
      return box.result
    }
    return try result.get()
  }

  /// Runs `body` on the caller's thread, without the hop to the kernel thread, when that is safe: the target
  /// is halted, the kernel thread is parked with nothing to do, and no other thread is inspecting. Returns nil
  /// otherwise (the caller then uses ``sync(_:)``). For requests that only read.
  ///
  /// The invariant that makes it safe, enforced here under `condition`: a halted machine changes only on the
  /// kernel thread, and the kernel thread does nothing while `inspecting` is set (it checks the flag before
  /// every piece of work). `body` has the machine to itself, and the lock orders its accesses after the kernel
  /// thread's last ones and before its next ones.
  public func inspectHalted<T: Sendable>(_ body: (KernelControl) throws(KernelError) -> T) throws(KernelError) -> T? {
    condition.lock()
    let claimed: Bool
    if parked && !inspecting && requests.isEmpty && !breakRequested && !shutdownRequested,
      case .halted = machine.runState
    {
      inspecting = true
      claimed = true
    } else {
      claimed = false
    }
    condition.unlock()
    guard claimed else { return nil }
    defer {
      condition.lock()
      inspecting = false
      condition.broadcast()
      condition.unlock()
    }
    return try body(KernelControl(kernel: self))
  }

  // MARK: kernel thread

  var currentMachine: Machine { machine }

  private var isKernelThread: Bool {
    condition.lock()
    defer { condition.unlock() }
    guard let kernelThread else { return false }
    return pthread_equal(kernelThread, pthread_self()) != 0
  }

  @discardableResult
  private func post(_ request: @escaping () -> Void) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard !shutdownRequested else { return false }
    requests.append(request)
    sliceClock.attention = true
    sliceClock.requestsWaiting = true
    condition.broadcast()
    return true
  }

  private func deliver(_ event: KernelEvent) {
    condition.lock()
    // Before the handler: nobody can have heard of a halt (or a resume) that `breakIn` does not know of yet.
    switch event {
    case .halted: reportedHalted = true
    case .running, .rebooted: reportedHalted = false
    case .debugPrint, .poolTrace: break
    }
    let h = handler
    condition.unlock()
    h?(event)
  }

  /// Hands the tracepoints' new events to the host (kernel thread only).
  func flushPoolTrace() {
    let (records, dropped) = machine.poolTrace.takeUnsent()
    if !records.isEmpty || dropped > 0 { deliver(.poolTrace(records, dropped: dropped)) }
  }

  /// Replaces the machine by a freshly booted one (kernel thread only). NtGlobalFlag survives; the Driver Verifier
  /// settings stored since take effect.
  func reboot() throws(KernelError) {
    let flag = machine.nt.load(NtGlobals.ntGlobalFlag)
    let fresh = try Machine(
      configuration: configuration, ntGlobalFlag: flag, verifier: verifierSettings, sliceStart: sliceClock)
    fresh.eventHandler = { [unowned self] in self.deliver($0) }
    stopHandle.withLock { $0 = fresh.emulator.stopHandle }
    machine = fresh
    deliver(.rebooted)
    if configuration.breakAtBoot { fresh.haltAtBoot() } else { try fresh.resume(singleStep: false) }
  }

  private func kernelLoop() {
    condition.lock()
    kernelThread = pthread_self()
    sliceClock.bindKernelThread()
    condition.unlock()
    while true {
      condition.lock()
      while true {
        if shutdownRequested {
          condition.unlock()
          finished.store(true, ordering: .relaxed)
          return
        }
        if inspecting {
          // Another thread has the halted machine (inspectHalted): nothing may change under it.
          condition.wait()
          continue
        }
        let running: Bool = if case .running = machine.runState { true } else { false }
        if !requests.isEmpty && (owedNanos == 0 || !running) {
          let batch = requests
          requests = []
          sliceClock.attention = breakRequested
          sliceClock.requestsWaiting = false
          condition.unlock()
          let started = VirtualClock.wallNanos()
          for r in batch { r() }
          // The target's share: request work that ran while the target had work of its own is paid back
          // with target time before the next batch (see `targetShare`).
          if case .running = machine.runState {
            let spent = VirtualClock.wallNanos() &- started
            owedNanos = min(
              owedNanos &+ spent.multipliedReportingOverflow(by: Self.targetShare).partialValue, Self.maxOwedNanos)
          }
          condition.lock()
          continue
        }
        if breakRequested {
          breakRequested = false
          sliceClock.attention = false
          condition.unlock()
          machine.breakIn()
          condition.lock()
          continue
        }
        if case .running = machine.runState { break }
        parked = true
        condition.wait()
        parked = false
      }
      if owedNanos > 0 {
        // Paying back: the slice runs its budget even though requests wait.
        sliceClock.attention = breakRequested
      }
      condition.unlock()
      let sliceStarted = VirtualClock.wallNanos()
      let outcome = machine.runSlice()
      if machine.poolTrace.hasUnsent { flushPoolTrace() }
      let sliceTook = VirtualClock.wallNanos() &- sliceStarted
      owedNanos = owedNanos > sliceTook ? owedNanos - sliceTook : 0
      switch outcome {
      case .ran: continue
      case .halted:
        owedNanos = 0
        continue
      case .idle(let until):
        owedNanos = 0  // the target has nothing to run: requests need not wait for it
        condition.lock()
        if requests.isEmpty, !breakRequested, !shutdownRequested {
          if let until {
            // At most an hour per wait: the loop looks again when it wakes, and a far wake-up stays a Date.
            let nanos = min(machine.clock.wallNanos(until: until), 3_600_000_000_000)
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(nanos) / 1e9))
          } else {
            condition.wait()
          }
        }
        condition.unlock()
      }
    }
  }

  private func watchdogLoop() {
    while !finished.load(ordering: .relaxed) {
      usleep(2000)
      guard let spent = sliceClock.sliceCPUNanos else { continue }
      // Unicorn 2.0.1 honours an outside uc_emu_stop in the middle of a translated block and rewinds
      // EIP to the block's start while keeping what the block already did: only code that has made
      // no service call for this much of the kernel thread's CPU time (a spinning driver) is stopped this way.
      if spent > Self.maxSliceNanos {
        stopHandle.withLock { $0.requestStop() }
      }
    }
  }
}

/// Carries a `sync` body to the kernel thread and its result back; the body is released as soon as it
/// has run, so it never outlives `withoutActuallyEscaping`. Used by one caller and the kernel thread in
/// strict sequence (post, run, signal, read), which is what makes it safe to share.
private final class SyncBox<T: Sendable>: @unchecked Sendable {
  private var work: ((KernelControl) throws(KernelError) -> T)?
  var result: Result<T, KernelError> = .failure(.shutDown)

  init(_ work: @escaping (KernelControl) throws(KernelError) -> T) { self.work = work }

  func run(_ control: KernelControl) {
    guard let w = work else { return }
    work = nil
    do throws(KernelError) { result = .success(try w(control)) } catch { result = .failure(error) }
  }

  func drop() { work = nil }
}
