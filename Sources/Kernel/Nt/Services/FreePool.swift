import CUnicorn

extension Machine {
  /// ExFreePoolWithTag(P, Tag): frees and hands the stub the tag from the block itself (the header, or
  /// the big-page table) for its PoolHitTag compare. Bad frees bug-check BAD_POOL_CALLER.
  func freePool() {
    let p = arg(0)
    let tag = arg(1)
    if pools.trackSites { pools.sites.sampleIfDue(now: clock.now) }
    switch pools.free(p, passedTag: tag) {
    case .success(let block):
      emulator.setReg(UC_X86_REG_ECX, pools.taggingEnabled ? 1 : 0)
      emulator.setReg(UC_X86_REG_EDX, block.tag)
      verifier?.free(
        address: p, thread: currentThread.kthread, frames: { self.poolRoutineStack(max: DriverVerifier.logFrames) })
      let key = pools.tagSplit.parent[block.tag] ?? block.tag
      if poolTrace.isActive, poolTrace.matches(tag: key, allocation: false) {
        poolTrace.append(
          kind: .free, tag: key, size: block.bytes, address: p, paged: block.paged, thread: currentThread.id,
          time: clock.now, frames: allocationCallers(max: PoolSiteTable.maxFrames))
      }
    case .failure(let failure):
      let (code, params) = failure.bugCheck
      emulator.setReg(UC_X86_REG_ECX, 0)
      serviceBugCheck(code: code, parameters: params)
    }
  }
}
