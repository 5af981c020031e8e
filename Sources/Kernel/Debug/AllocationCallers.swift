import CUnicorn

extension Machine {
  /// Inside a pool service: the return addresses up the allocating thread's EBP chain, starting at the call into
  /// the driver that allocated (the stub's own frame is EBP; nt's wrappers such as ExAllocatePool are skipped,
  /// so their callers are the call site). At most `max`; the chain is guest memory, so the walk stops at the
  /// first unreadable, zero or non-ascending link.
  func allocationCallers(max: Int, skipNt: Bool = true) -> [UInt32] {
    var frames: [UInt32] = []
    var ebp = emulator.reg(UC_X86_REG_EBP)
    var links = 0
    while frames.count < max, links < max + 4 {
      guard let saved = emulator.readU32(ebp), let ret = emulator.readU32(ebp &+ 4), ret != 0 else { break }
      if !frames.isEmpty || !skipNt || !isNtCode(ret) { frames.append(ret) }
      guard saved > ebp else { break }
      ebp = saved
      links += 1
    }
    return frames
  }

  /// Inside a pool service: the stack Driver Verifier's pool log keeps, from inside the pool routine (the
  /// service's return point in nt!ExAllocatePoolWithTag or nt!ExFreePoolWithTag) through nt's wrappers and up.
  func poolRoutineStack(max: Int) -> [UInt32] {
    [liveEIP] + allocationCallers(max: max - 1, skipNt: false)
  }

  private func isNtCode(_ address: UInt32) -> Bool {
    address >= KernelLayout.ntBase && address - KernelLayout.ntBase < NtModule.imageSize
  }
}
