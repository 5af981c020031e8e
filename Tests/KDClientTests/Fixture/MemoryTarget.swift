import KDClient

/// A `DebugTarget` over an in-memory byte image (4 KiB pages, unmapped pages unreadable): a unit-test
/// fixture for the debugger's formatting. Breaks come from a queue the test fills.
final class MemoryTarget: DebugTarget {
  var pages: [UInt32: [UInt8]] = [:]
  var state: TargetState
  var versionInfo: TargetVersion
  var moduleSymbols: [UInt32: [SymbolRecord]] = [:]
  /// Events delivered by `waitForBreak` after each `resume`/`breakIn`.
  var pendingEvents: [BreakEvent] = []
  var breakpoints: [UInt32: UInt32] = [:]
  var nextHandle: UInt32 = 1
  var resumes: [Bool] = []
  var rebootCount = 0
  var symbolRequests = 0
  private var running = false
  private var current: BreakEvent

  init(version: TargetVersion, event: BreakEvent) {
    versionInfo = version
    current = event
    state = .halted(event)
  }

  func map(_ address: UInt32, _ bytes: [UInt8]) {
    for (i, b) in bytes.enumerated() {
      let a = address &+ UInt32(i)
      let page = a & ~0xfff
      if pages[page] == nil { pages[page] = [UInt8](repeating: 0, count: 0x1000) }
      pages[page]![Int(a & 0xfff)] = b
    }
  }

  func mapZeroed(_ address: UInt32, pages count: Int) {
    for i in 0..<count { pages[(address & ~0xfff) &+ UInt32(i * 0x1000)] = [UInt8](repeating: 0, count: 0x1000) }
  }

  func putU32(_ address: UInt32, _ value: UInt32) {
    map(address, [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)])
  }

  func byte(_ a: UInt32) -> UInt8? { pages[a & ~0xfff].map { $0[Int(a & 0xfff)] } }

  func version() throws(TargetError) -> TargetVersion { versionInfo }

  func readVirtual(_ address: UInt32, count: Int) throws(TargetError) -> [UInt8] {
    var out: [UInt8] = []
    for i in 0..<count {
      guard let b = byte(address &+ UInt32(i)) else { break }
      out.append(b)
    }
    return out
  }

  func writeVirtual(_ address: UInt32, _ bytes: [UInt8]) throws(TargetError) -> Int {
    for (i, b) in bytes.enumerated() {
      let a = address &+ UInt32(i)
      guard pages[a & ~0xfff] != nil else { return i }
      pages[a & ~0xfff]![Int(a & 0xfff)] = b
    }
    return bytes.count
  }

  func search(from: UInt32, length: UInt32, pattern: [UInt8]) throws(TargetError) -> UInt32? {
    var a = UInt64(from)
    let end = UInt64(from) + UInt64(length)
    while a + UInt64(pattern.count) <= end {
      if (0..<pattern.count).allSatisfy({ byte(UInt32(a) &+ UInt32($0)) == pattern[$0] }) { return UInt32(a) }
      a += 1
    }
    return nil
  }

  func context(thread: UInt32?) throws(TargetError) -> X86Context {
    guard case .halted(let e) = state else { throw .notHalted(operation: "context") }
    return e.context
  }

  func setContext(_ c: X86Context, thread: UInt32?) throws(TargetError) {
    guard case .halted(var e) = state else { throw .notHalted(operation: "setContext") }
    e.context = c
    state = .halted(e)
  }

  /// Refuses an address with no memory behind it, as the kernel does (STATUS_INVALID_PARAMETER).
  func setBreakpoint(_ address: UInt32) throws(TargetError) -> UInt32 {
    guard byte(address) != nil else {
      throw .refused(operation: "WriteBreakPoint", status: 0xC000_000D, message: "invalidParameter")
    }
    let h = nextHandle
    nextHandle += 1
    breakpoints[h] = address
    return h
  }

  func removeBreakpoint(_ handle: UInt32) throws(TargetError) {
    guard breakpoints.removeValue(forKey: handle) != nil else { throw .unknownBreakpoint(handle: handle) }
  }

  /// A fixture over plain memory has no processor to watch with.
  func setDataBreakpoint(_ address: UInt32, size: UInt32, access: DataBreakpointAccess) throws(TargetError) -> UInt32 {
    throw .refused(operation: "WriteDataBreakPoint", status: 0xC000_0002, message: "STATUS_NOT_IMPLEMENTED")
  }

  func removeDataBreakpoint(_ handle: UInt32) throws(TargetError) { throw .unknownBreakpoint(handle: handle) }

  func resume(singleStep: Bool) throws(TargetError) {
    guard state.isHalted else { throw .notHalted(operation: "resume") }
    resumes.append(singleStep)
    state = .running
  }

  func breakIn() throws(TargetError) {
    guard !state.isHalted else { throw .notRunning(operation: "breakIn") }
    var e = current
    e.kind = .breakIn
    pendingEvents.append(e)
  }

  func waitForBreak(timeout: Duration?) throws(TargetError) -> BreakEvent? {
    guard !state.isHalted else { return nil }
    guard !pendingEvents.isEmpty else { return nil }
    let e = pendingEvents.removeFirst()
    current = e
    state = .halted(e)
    return e
  }

  func stackTrace(thread: UInt32?, maxFrames: Int) throws(TargetError) -> [StackFrame] {
    Array(current.stack.prefix(maxFrames))
  }

  func symbols(moduleBase: UInt32) throws(TargetError) -> [SymbolRecord] {
    symbolRequests += 1
    return moduleSymbols[moduleBase] ?? []
  }

  func reboot() throws(TargetError) { rebootCount += 1 }
}
