import CUnicorn

extension Machine {
  /// POOL_TYPE bit of the must-succeed types (NonPagedPoolMustSucceed 2, DontUseThisType 3, ...).
  static let mustSucceedPoolTypeMask: UInt32 = 2

  /// ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag): eax = block or NULL; ecx = tagging active,
  /// edx = tag for the stub's PoolHitTag compare. A must-succeed pool type bug-checks BAD_POOL_CALLER 0x9A
  /// (type, size, tag) as Windows XP does; a size no pool can hold returns NULL. The allocating call site
  /// (the return address into the driver, nt's ExAllocatePool skipped) is recorded for `!poolsites`; a matching
  /// tag tracepoint logs the call (`!pooltrace`).
  func allocatePool() {
    let poolType = arg(0)
    let bytes = arg(1)
    let tag = arg(2)
    guard poolType & Self.mustSucceedPoolTypeMask == 0 else {
      emulator.setReg(UC_X86_REG_ECX, 0)
      serviceBugCheck(code: 0xC2, parameters: [0x9A, poolType, bytes, tag])
      return
    }
    let address: UInt32
    do {
      if pools.trackSites {
        pools.sites.sampleIfDue(now: clock.now)
        address = try pools.allocate(
          poolType: poolType, bytes: bytes, tag: tag, callSite: allocationCallers(max: 1).first ?? 0,
          frames: { self.allocationCallers(max: PoolSiteTable.maxFrames) })
      } else {
        address = try pools.allocate(poolType: poolType, bytes: bytes, tag: tag)
      }
    } catch {
      address = 0
    }
    setResult(address)
    if let verifier {
      verifier.allocation(
        address: address, bytes: bytes, tag: tag, paged: poolType & 1 == 1,
        caller: allocationCallers(max: 1).first ?? 0, thread: currentThread.kthread,
        frames: { self.poolRoutineStack(max: DriverVerifier.logFrames) })
    }
    let key = tag & ~PoolManager.protectedBit
    if address != 0, poolTrace.isActive, poolTrace.matches(tag: key, allocation: true) {
      poolTrace.append(
        kind: .allocation, tag: key, size: bytes, address: address, paged: poolType & 1 == 1,
        thread: currentThread.id, time: clock.now, frames: allocationCallers(max: PoolSiteTable.maxFrames))
    }
    emulator.setReg(UC_X86_REG_ECX, pools.taggingEnabled ? 1 : 0)
    emulator.setReg(UC_X86_REG_EDX, tag & ~PoolManager.protectedBit)
  }
}
