extension Machine {
  /// KeDelayExecutionThread(WaitMode, Alertable, PLARGE_INTEGER Interval): negative = relative 100 ns
  /// units, positive = absolute virtual time, 0 = give up the rest of the slice. The thread waits; the
  /// slice ends; STATUS_SUCCESS. An unreadable Interval bug-checks PAGE_FAULT_IN_NONPAGED_AREA (0x50) as the
  /// read would on Windows. An interval past the end of time waits for good, as a wait of 29,000 years does.
  func delayExecution() {
    let pointer = arg(2)
    guard let low = emulator.readU32(pointer), let high = emulator.readU32(pointer &+ 4) else {
      let unreadable = emulator.readU32(pointer) == nil ? pointer : pointer &+ 4
      serviceBugCheck(code: 0x50, parameters: [unreadable, 0, liveEIP, 0])
      return
    }
    let interval = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
    let until = interval < 0 ? VirtualClock.saturatingSum(clock.now, interval.magnitude) : UInt64(interval)
    currentThread.state = .waiting(until: max(until, VirtualClock.saturatingSum(clock.now, 1)))
    setResult(0)
  }
}
