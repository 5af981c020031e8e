extension Machine {
  /// KeDelayExecutionThread(WaitMode, Alertable, PLARGE_INTEGER Interval): negative = relative 100 ns
  /// units, positive = absolute virtual time. The thread waits; the slice ends.
  func delayExecution() {
    let pointer = arg(2)
    guard let low = emulator.readU32(pointer), let high = emulator.readU32(pointer &+ 4) else {
      serviceBugCheck(code: 0x50, parameters: [pointer, 0, liveEIP, 0])
      return
    }
    let interval = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
    let until = interval < 0 ? clock.now &+ UInt64(-interval) : UInt64(interval)
    currentThread.state = .waiting(until: max(until, clock.now &+ 1))
    setResult(0)
  }
}
