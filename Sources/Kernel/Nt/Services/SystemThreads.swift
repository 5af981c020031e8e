extension Machine {
  /// PsCreateSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle, ClientId,
  /// StartRoutine, StartContext): a new thread runs StartRoutine(StartContext) under
  /// nt!PspSystemThreadStartup on its own stack. Windows stores *ThreadHandle (and *ClientId when given)
  /// from kernel mode: an unwritable one bug-checks 0x50. A bad StartRoutine faults in the new thread.
  func createSystemThread() {
    let handleOut = arg(0)
    let clientId = arg(4)
    let routine = arg(5)
    let context = arg(6)
    do {
      let t = try createThread(pc: nt.systemThreadStartup, stackArgs: [routine, context], startRoutine: routine)
      guard guestWrite(handleOut, [0x8000_0000 | t.id]) else { return }
      if clientId != 0, !guestWrite(clientId, [4, t.id]) { return }
      setResult(0)
    } catch {
      setResult(0xC000_009A)  // STATUS_INSUFFICIENT_RESOURCES
    }
  }

  /// PsTerminateSystemThread(ExitStatus): the thread ends here for good.
  func terminateSystemThread() {
    currentThread.state = .terminated
    setResult(0)
  }

  /// The status DriverEntry returned (pushed by nt!IopLoadDriver).
  func driverLoaded() {
    let status = emulator.readU32(liveESP) ?? 0  // [esp]
    if status & 0x8000_0000 != 0 {
      eventHandler(.debugPrint("DriverEntry failed with status \(String(status, radix: 16))\n"))
    }
  }
}
