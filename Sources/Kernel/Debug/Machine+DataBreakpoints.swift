/// The data-breakpoint engine on the machine: hooks report watched accesses and instruction boundaries, and
/// the run stops where x86 would raise #DB (see ``DataBreakpoints``).
extension Machine {
  func setDataBreakpoint(address: UInt32, size: UInt32, access: DataAccess) throws(KernelError) -> UInt32 {
    let slot = try dataBreakpoints.insert(address: address, size: size, access: access)
    do throws(KernelError) {
      try rewatch()
    } catch {
      _ = try? dataBreakpoints.remove(handle: slot.handle)
      throw error
    }
    return slot.handle
  }

  func removeDataBreakpoint(handle: UInt32) throws(KernelError) {
    _ = try dataBreakpoints.remove(handle: handle)
    try rewatch()
  }

  var dataBreakpointInfos: [DataBreakpointInfo] {
    dataBreakpoints.slots.map {
      DataBreakpointInfo(handle: $0.handle, address: $0.address, size: $0.size, access: $0.access)
    }
  }

  /// Puts the emulator's hooks in line with the slots; when the per-instruction hook comes or goes, every
  /// translated block is dropped so that each runs with (or without) it.
  private func rewatch() throws(KernelError) {
    // Unicorn matches a hook's range against an access's first byte only: the hooks start 15 bytes early, so
    // that any access up to 16 bytes that overlaps a slot reaches `watchedAccess`, which checks the overlap.
    let ranges = dataBreakpoints.slots.filter { $0.access != .execute }.map { slot in
      let first = slot.address >= 15 ? slot.address - 15 : 0
      return (first, slot.address &- first &+ slot.size)
    }
    if try emulator.watch(ranges, traceInstructions: !dataBreakpoints.isEmpty) {
      for region in space.regions { emulator.invalidate(region.base, region.base &+ region.size) }
    }
  }

  /// A guest access within a watched range (from the access hook): the first slot it triggers is kept for
  /// the next instruction boundary.
  func watchedAccess(_ address: UInt32, size: Int, write: Bool) {
    guard pendingDataHit == nil else { return }
    let first = UInt64(address)
    let end = first + UInt64(max(size, 1))
    for slot in dataBreakpoints.slots where slot.access.matches(write: write) {
      let slotEnd = UInt64(slot.address) + UInt64(slot.size)
      if first < slotEnd && UInt64(slot.address) < end {
        pendingDataHit = (slot.handle, UInt32(truncatingIfNeeded: max(first, UInt64(slot.address))))
        return
      }
    }
  }

  /// Before each instruction (from the instruction hook): a pending watched access stops the run here, after
  /// the instruction that made it; an execution breakpoint stops it before this one runs.
  func instructionBoundary(_ address: UInt32) {
    guard stopCause == nil else { return }
    if let hit = pendingDataHit {
      pendingDataHit = nil
      stopCause = .dataBreakpoint(handle: hit.handle, address: hit.address)
      emulator.stop()
      return
    }
    if let skip = executionBreakSkip, skip.thread == currentThread.kthread {
      executionBreakSkip = nil
      if skip.address == address { return }
    }
    if let slot = dataBreakpoints.execution(at: address) {
      stopCause = .dataBreakpoint(handle: slot.handle, address: address)
      emulator.stop()
    }
  }
}
