import CUnicorn

extension Machine {
  /// ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag): eax = block or NULL; ecx = tagging active,
  /// edx = tag for the stub's PoolHitTag compare.
  func allocatePool() {
    let poolType = arg(0)
    let bytes = arg(1)
    let tag = arg(2)
    let address: UInt32
    do {
      address = try pools.allocate(poolType: poolType, bytes: bytes, tag: tag)
    } catch {
      address = 0
    }
    setResult(address)
    emulator.setReg(UC_X86_REG_ECX, pools.taggingEnabled ? 1 : 0)
    emulator.setReg(UC_X86_REG_EDX, tag & ~PoolManager.protectedBit)
  }
}
