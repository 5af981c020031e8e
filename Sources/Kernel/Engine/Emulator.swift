import CUnicorn
import Synchronization

/// One Unicorn IA-32 engine. Not thread-safe: owned by the kernel thread; only `requestStop()` may be
/// called from another thread (Unicorn's `uc_emu_stop` only sets a flag and kicks the vCPU).
final class Emulator {
  /// What a run ended on, besides the hooks' own reports.
  enum RunOutcome: Equatable {
    case stopped
    case unmapped(UInt32)  // uc_err
    case invalidInstruction
    case other(UInt32)
    /// Unicorn aborted inside the run (its translator cannot handle an encoding in the block at EIP) and the
    /// guard brought the thread back; the engine is `lost` from now on.
    case engineAborted
    /// Unicorn ended the run by itself: a `hlt` (EIP is after it).
    case haltInstruction
    /// Unicorn ended the run by itself with EIP at `stopSentinel` (code jumped there): nothing ran there.
    case reachedSentinel
  }

  private let uc: OpaquePointer
  private var hooks: [uc_hook] = []
  /// Set by every stop we ask for (hooks, the watchdog). A run that ends without error and without one was
  /// ended by Unicorn 2.0.1 itself: `hlt`, or EIP reaching the `until` address. Run again at once, either
  /// would end at once again (a livelock with virtual time frozen), so they are outcomes of their own.
  private let stopAsked = StopFlag()
  /// Unicorn aborted in a run: it stopped half way through translating a block, so it never runs or maps
  /// again and its translation cache is left alone. What stays in use is provably safe in 2.0.1: register
  /// reads and writes (fields of the CPU state) and memory reads and writes (a memory-region lookup and a
  /// copy: every region here is writable and `invalidate_and_set_dirty` is empty). Freed at deinit
  /// (`uc_close` after an abort; thousands in a row leak no descriptor, thread or memory).
  private(set) var lost = false
  /// Called for every `int n` and CPU exception that reaches Unicorn's interrupt hook.
  var onInterrupt: (UInt32) -> Void = { _ in }
  /// Called when an access touches unmapped or protected memory (address, write?).
  var onInvalidMemory: (UInt32, Bool) -> Void = { _, _ in }
  /// Called for a guest read or write within a watched range (``watch(_:)``): address, size, write?.
  var onWatchedAccess: (UInt32, Int, Bool) -> Void = { _, _, _ in }
  /// Called before every instruction while any range is watched or code is traced (``watch(_:)``); a stop
  /// asked for here comes before the instruction runs.
  var onInstruction: (UInt32) -> Void = { _ in }
  private var watchHooks: [uc_hook] = []
  private var instructionHook: uc_hook?

  static let stopSentinel: UInt32 = 0xffff_fff0

  init() throws(KernelError) {
    var engine: OpaquePointer?
    let err = uc_open(UC_ARCH_X86, UC_MODE_32, &engine)
    guard err == UC_ERR_OK, let engine else {
      throw .emulator(call: "uc_open", code: err.rawValue)
    }
    uc = engine
    let me = Unmanaged.passUnretained(self).toOpaque()
    var h: uc_hook = 0
    _ = skd_hook_intr(
      uc, &h,
      { _, intno, user in
        let armed = skd_guard_suspend()  // an abort in Swift code is not Unicorn's: no escape from it
        defer { skd_guard_resume(armed) }
        Unmanaged<Emulator>.fromOpaque(user!).takeUnretainedValue().onInterrupt(intno)
      }, me)
    hooks.append(h)
    _ = skd_hook_mem_invalid(
      uc, &h,
      { _, type, address, _, _, user in
        let armed = skd_guard_suspend()
        defer { skd_guard_resume(armed) }
        let write = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT
        Unmanaged<Emulator>.fromOpaque(user!).takeUnretainedValue().onInvalidMemory(
          UInt32(truncatingIfNeeded: address), write)
        return false
      }, me)
    hooks.append(h)
    _ = skd_hook_mem_sync(uc, &h, UInt64(Emulator.stopSentinel))
    hooks.append(h)
  }

  deinit {
    for h in hooks + watchHooks { uc_hook_del(uc, h) }
    if let instructionHook { uc_hook_del(uc, instructionHook) }
    uc_close(uc)
  }

  /// Watches guest accesses to `ranges` (first address, size) and, while `traceInstructions` is true, calls
  /// ``onInstruction`` before every instruction. Returns whether the instruction hook was added or removed:
  /// blocks translated before then do not have it, and the caller drops them (``invalidate(_:_:)``).
  func watch(_ ranges: [(UInt32, UInt32)], traceInstructions: Bool) throws(KernelError) -> Bool {
    guard !lost else { throw .emulator(call: "uc_hook_add after an engine abort", code: 0) }
    for h in watchHooks { uc_hook_del(uc, h) }
    watchHooks = []
    let me = Unmanaged.passUnretained(self).toOpaque()
    for (address, size) in ranges where size > 0 {
      var h: uc_hook = 0
      let err = skd_hook_mem_access(
        uc, &h,
        { _, type, address, size, _, user in
          let armed = skd_guard_suspend()
          defer { skd_guard_resume(armed) }
          Unmanaged<Emulator>.fromOpaque(user!).takeUnretainedValue().onWatchedAccess(
            UInt32(truncatingIfNeeded: address), Int(size), type == UC_MEM_WRITE)
        }, me, UInt64(address), UInt64(address) + UInt64(size) - 1)
      guard err == UC_ERR_OK else { throw .emulator(call: "uc_hook_add(UC_HOOK_MEM_READ|WRITE)", code: err.rawValue) }
      watchHooks.append(h)
    }
    switch (instructionHook, traceInstructions) {
    case (nil, true):
      var h: uc_hook = 0
      let err = skd_hook_code(
        uc, &h,
        { _, address, _, user in
          let armed = skd_guard_suspend()
          defer { skd_guard_resume(armed) }
          Unmanaged<Emulator>.fromOpaque(user!).takeUnretainedValue().onInstruction(UInt32(truncatingIfNeeded: address))
        }, me, 1, 0)
      guard err == UC_ERR_OK else { throw .emulator(call: "uc_hook_add(UC_HOOK_CODE)", code: err.rawValue) }
      instructionHook = h
      return true
    case (let h?, false):
      uc_hook_del(uc, h)
      instructionHook = nil
      return true
    default:
      return false
    }
  }

  // MARK: memory

  func map(_ address: UInt32, size: UInt32, writable: Bool = true, executable: Bool = true) throws(KernelError) {
    guard !lost else { throw .emulator(call: "uc_mem_map(\(hex(address))) after an engine abort", code: 0) }
    var perms = UC_PROT_READ.rawValue
    if writable { perms |= UC_PROT_WRITE.rawValue }
    if executable { perms |= UC_PROT_EXEC.rawValue }
    let err = skd_mem_map(uc, UInt64(address), UInt64(size), perms)
    guard err == UC_ERR_OK else {
      throw .emulator(call: "uc_mem_map(\(hex(address)), \(hex(size)))", code: err.rawValue)
    }
  }

  func mapHost(_ address: UInt32, size: UInt32, pointer: UnsafeMutableRawPointer) throws(KernelError) {
    guard !lost else { throw .emulator(call: "uc_mem_map_ptr(\(hex(address))) after an engine abort", code: 0) }
    let err = skd_mem_map_ptr(uc, UInt64(address), UInt64(size), UC_PROT_ALL.rawValue, pointer)
    guard err == UC_ERR_OK else {
      throw .emulator(call: "uc_mem_map_ptr(\(hex(address)), \(hex(size)))", code: err.rawValue)
    }
  }

  func unmap(_ address: UInt32, size: UInt32) {
    guard !lost else { return }
    _ = uc_mem_unmap(uc, UInt64(address), size_t(size))
  }

  /// Reads exactly `count` bytes or returns nil if any of them is unmapped.
  func read(_ address: UInt32, count: Int) -> [UInt8]? {
    guard count > 0 else { return [] }
    var out = [UInt8](repeating: 0, count: count)
    let err = out.withUnsafeMutableBytes { skd_mem_read(uc, UInt64(address), $0.baseAddress, UInt64(count)) }
    return err == UC_ERR_OK ? out : nil
  }

  func readU32(_ address: UInt32) -> UInt32? {
    var v: UInt32 = 0
    let err = skd_mem_read(uc, UInt64(address), &v, 4)
    return err == UC_ERR_OK ? UInt32(littleEndian: v) : nil
  }

  /// Raw write, no cache invalidation: data only. Code writes go through `AddressSpace.writeCode`.
  @discardableResult
  func write(_ address: UInt32, _ bytes: [UInt8]) -> Bool {
    guard !bytes.isEmpty else { return true }
    return bytes.withUnsafeBytes { skd_mem_write(uc, UInt64(address), $0.baseAddress, UInt64(bytes.count)) }
      == UC_ERR_OK
  }

  @discardableResult
  func writeU32(_ address: UInt32, _ value: UInt32) -> Bool {
    var v = value.littleEndian
    return skd_mem_write(uc, UInt64(address), &v, 4) == UC_ERR_OK
  }

  /// Drops translated blocks covering [begin, end): the next run executes the bytes now in memory.
  /// Nothing to drop once the engine is lost: it never runs again.
  func invalidate(_ begin: UInt32, _ end: UInt32) {
    guard !lost else { return }
    _ = skd_remove_cache(uc, UInt64(begin), UInt64(end))
  }

  // MARK: registers

  /// eax ebx ecx edx esi edi ebp esp eip eflags
  func readGPRs() -> [UInt32] {
    var regs = [UInt32](repeating: 0, count: 10)
    regs.withUnsafeMutableBufferPointer { _ = skd_read_gprs(uc, $0.baseAddress) }
    return regs
  }

  func writeGPRs(_ regs: [UInt32]) {
    precondition(regs.count == 10)
    regs.withUnsafeBufferPointer { _ = skd_write_gprs(uc, $0.baseAddress) }
  }

  func reg(_ r: uc_x86_reg) -> UInt32 { skd_reg_read32(uc, Int32(r.rawValue)) }
  func setReg(_ r: uc_x86_reg, _ v: UInt32) { _ = skd_reg_write32(uc, Int32(r.rawValue), v) }

  // MARK: running

  /// Runs from `eip` until a hook calls `stop()`, `requestStop()` arrives, or an error ends the run. An abort
  /// inside Unicorn ends it with `.engineAborted` (EIP then holds the start of the block it was translating).
  func run(from eip: UInt32) -> RunOutcome {
    guard !lost else { return .engineAborted }
    stopAsked.value.store(false, ordering: .relaxed)
    var aborted = false
    let err = skd_guarded_emu_start(uc, UInt64(eip), UInt64(Emulator.stopSentinel), &aborted)
    if aborted {
      lost = true
      return .engineAborted
    }
    switch err {
    case UC_ERR_OK:
      if stopAsked.value.load(ordering: .relaxed) { return .stopped }
      return reg(UC_X86_REG_EIP) == Emulator.stopSentinel ? .reachedSentinel : .haltInstruction
    case UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED,
      UC_ERR_READ_PROT, UC_ERR_WRITE_PROT, UC_ERR_FETCH_PROT,
      UC_ERR_READ_UNALIGNED, UC_ERR_WRITE_UNALIGNED, UC_ERR_FETCH_UNALIGNED:
      return .unmapped(err.rawValue)
    case UC_ERR_INSN_INVALID: return .invalidInstruction
    default: return .other(err.rawValue)
    }
  }

  /// From a hook on the kernel thread.
  func stop() {
    stopAsked.value.store(true, ordering: .relaxed)
    _ = uc_emu_stop(uc)
  }

  /// From any thread (break-in, watchdog).
  var stopHandle: StopHandle { StopHandle(engine: uc, asked: stopAsked) }

  struct StopHandle: @unchecked Sendable {  // safe: uc_emu_stop only sets a flag and exits the vCPU loop
    let engine: OpaquePointer
    let asked: StopFlag
    func requestStop() {
      asked.value.store(true, ordering: .relaxed)
      _ = uc_emu_stop(engine)
    }
  }

  final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
  }
}

func hex(_ v: UInt32) -> String { String(v, radix: 16) }
