extension Machine {
  /// Runs one native service for the current thread (inside the `int 2Eh` hook).
  func perform(_ service: NtService) {
    switch service {
    case .allocatePool: allocatePool()
    case .freePool: freePool()
    case .delayExecution: delayExecution()
    case .createSystemThread: createSystemThread()
    case .terminateSystemThread: terminateSystemThread()
    case .random: random()
    case .debugPrint: debugPrint()
    case .querySystemTime: querySystemTime()
    case .bugCheck: bugCheck()
    case .memset: memset()
    case .memcpy, .memmove: memcpy()
    case .driverLoaded: driverLoaded()
    case .currentThread: setResult(currentThread.kthread)
    case .currentThreadId: setResult(currentThread.id)
    case .beginUnload: beginUnload()
    case .unloadDriver: unloadDriver()
    case .yieldExecution:
      setResult(0)
      stopCause = .yield
    }
  }
}
