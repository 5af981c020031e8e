import KDProtocol
import Synchronization

/// A ``DebugTarget`` on the other end of a ``RemoteConnection``: each primitive is one round trip (bulk reads
/// are split into pipelined requests that fill the negotiated payload).
public final class RemoteTarget: DebugTarget, Sendable {
  public let connection: RemoteConnection
  private let cachedVersion = Mutex<TargetVersion?>(nil)

  public init(connection: RemoteConnection) {
    self.connection = connection
  }

  public var state: TargetState {
    if let event = connection.haltedEvent, let converted = BreakEvent(event) { return .halted(converted) }
    return .running
  }

  /// One round trip. A request that would change the target, refused because this session observes, becomes
  /// an error that says so.
  private func call(_ operation: String, _ body: Manipulate) throws(TargetError) -> ManipulateState {
    let reply: ManipulateState
    do {
      reply = try connection.request(body)
    } catch {
      throw TargetError(error, operation: operation)
    }
    if reply.status == .privilegeNotHeld {
      throw .refused(
        operation: operation, status: reply.status.rawValue,
        message: "this session is an observer (kd --observe); only the controller changes the target")
    }
    return reply
  }

  /// A reply whose status is an error becomes a TargetError naming the operation.
  func checked(_ operation: String, _ body: Manipulate) throws(TargetError) -> ManipulateState {
    let reply = try call(operation, body)
    if reply.status.isError {
      if reply.status == .invalidDeviceState { throw .notHalted(operation: operation) }
      throw .refused(operation: operation, status: reply.status.rawValue, message: "\(reply.status)")
    }
    return reply
  }

  public func version() throws(TargetError) -> TargetVersion {
    if let v = cachedVersion.withLock({ $0 }) { return v }
    guard case .getVersion(let v) = try checked("GetVersion", .getVersion(GetVersion())).body else {
      throw .refused(operation: "GetVersion", status: NTStatus.protocolError.rawValue, message: "mismatched reply")
    }
    let version = TargetVersion(
      kernelBase: UInt32(truncatingIfNeeded: v.kernBase),
      psLoadedModuleList: UInt32(truncatingIfNeeded: v.psLoadedModuleList),
      machine: v.machineType, processors: (v.flags & 1) != 0 ? 2 : 1, build: UInt32(v.minorVersion))
    cachedVersion.withLock { $0 = version }
    return version
  }

  public func readVirtual(_ address: UInt32, count: Int) throws(TargetError) -> [UInt8] {
    if count <= 0 { return [] }
    let chunk = connection.maxPayload - ManipulateState.headerSize
    var requests: [(UInt64, Int, RemoteConnection.Pending)] = []
    var offset = 0
    while offset < count {
      let start = UInt64(address) + UInt64(offset)
      if start > 0xFFFF_FFFF { break }
      let length = min(chunk, count - offset, Int(0x1_0000_0000 - start))
      requests.append(
        (
          start, length,
          connection.begin(.readVirtualMemory(ReadVirtualMemory(address: start, transferCount: UInt32(length))))
        ))
      offset += length
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var short = false
    for (_, length, pending) in requests {
      let reply: ManipulateState
      do { reply = try pending.wait() } catch { throw TargetError(error, operation: "ReadVirtualMemory") }
      if short { continue }
      guard case .readVirtualMemory(let read) = reply.body else { continue }
      bytes.append(contentsOf: read.data)
      if read.data.count < length { short = true }
    }
    return bytes
  }

  public func writeVirtual(_ address: UInt32, _ bytes: [UInt8]) throws(TargetError) -> Int {
    let chunk = connection.maxPayload - ManipulateState.headerSize
    var written = 0
    while written < bytes.count {
      let piece = Array(bytes[written..<min(bytes.count, written + chunk)])
      let reply = try call(
        "WriteVirtualMemory",
        .writeVirtualMemory(WriteVirtualMemory(address: UInt64(address) + UInt64(written), data: piece)))
      guard case .writeVirtualMemory(let w) = reply.body else { break }
      written += Int(w.actualBytesWritten)
      if Int(w.actualBytesWritten) < piece.count { break }
    }
    return written
  }

  public func search(from: UInt32, length: UInt32, pattern: [UInt8]) throws(TargetError) -> UInt32? {
    let reply = try call(
      "SearchMemory",
      .searchMemory(KDProtocol.SearchMemory(address: UInt64(from), length: UInt64(length), pattern: pattern)))
    if reply.status == .noMoreEntries { return nil }
    if reply.status.isError {
      throw .refused(operation: "SearchMemory", status: reply.status.rawValue, message: "\(reply.status)")
    }
    guard case .searchMemory(let s) = reply.body else { return nil }
    return UInt32(truncatingIfNeeded: s.address)
  }

  public func unmappedExtent(at address: UInt32) throws(TargetError) -> UInt64? {
    let reply = try call("QueryMemory", .queryMemory(QueryMemory(address: UInt64(address))))
    guard reply.status == .accessViolation, case .queryMemory(let q) = reply.body, q.kind == .unmapped, q.regionSize > 0
    else { return nil }
    return q.regionSize
  }

  public func context(thread: UInt32?) throws(TargetError) -> X86Context {
    let reply = try checked("GetContext", .getContext(GetContext(thread: thread ?? 0)))
    guard case .getContext(let g) = reply.body, let c = g.context else {
      throw .refused(operation: "GetContext", status: reply.status.rawValue, message: "no context in the reply")
    }
    return X86Context(c)
  }

  public func setContext(_ c: X86Context, thread: UInt32?) throws(TargetError) {
    _ = try checked("SetContext", .setContext(SetContext(thread: thread ?? 0, context: KDProtocol.X86Context(c))))
  }

  public func setBreakpoint(_ address: UInt32) throws(TargetError) -> UInt32 {
    let reply = try checked("WriteBreakPoint", .writeBreakPoint(WriteBreakPoint(address: UInt64(address))))
    guard case .writeBreakPoint(let b) = reply.body else { return 0 }
    return b.handle
  }

  public func setDataBreakpoint(_ address: UInt32, size: UInt32, access: DataBreakpointAccess) throws(TargetError)
    -> UInt32
  {
    let wire: WriteDataBreakPoint.Access =
      switch access {
      case .write: .write
      case .readWrite: .readWrite
      case .execute: .execute
      }
    let request = WriteDataBreakPoint(address: UInt64(address), size: size, access: wire)
    let reply = try checked("WriteDataBreakPoint", .writeDataBreakPoint(request))
    guard case .writeDataBreakPoint(let b) = reply.body else { return 0 }
    return b.handle
  }

  public func removeDataBreakpoint(_ handle: UInt32) throws(TargetError) {
    let reply = try call("RestoreDataBreakPoint", .restoreDataBreakPoint(RestoreDataBreakPoint(handle: handle)))
    if reply.status == .invalidParameter { throw .unknownBreakpoint(handle: handle) }
    if reply.status.isError {
      throw .refused(operation: "RestoreDataBreakPoint", status: reply.status.rawValue, message: "\(reply.status)")
    }
  }

  public func removeBreakpoint(_ handle: UInt32) throws(TargetError) {
    let reply = try call("RestoreBreakPoint", .restoreBreakPoint(RestoreBreakPoint(handle: handle)))
    if reply.status == .invalidParameter { throw .unknownBreakpoint(handle: handle) }
    if reply.status.isError {
      throw .refused(operation: "RestoreBreakPoint", status: reply.status.rawValue, message: "\(reply.status)")
    }
  }

  public func resume(singleStep: Bool) throws(TargetError) {
    connection.discardEvents()
    _ = try checked(singleStep ? "Step" : "Go", .continue2(Continue2(singleStep: singleStep)))
  }

  public func breakIn() throws(TargetError) {
    if let reason = connection.closedReason { throw .disconnected(reason: reason) }
    connection.sendBreakIn()
  }

  public func waitForBreak(timeout: Duration?) throws(TargetError) -> BreakEvent? {
    while true {
      guard let event = connection.nextEvent(timeout: timeout) else {
        if let reason = connection.closedReason { throw .disconnected(reason: reason) }
        return nil
      }
      if let converted = BreakEvent(event) { return converted }
    }
  }

  public func stackTrace(thread: UInt32?, maxFrames: Int) throws(TargetError) -> [StackFrame] {
    let frames = UInt32(max(1, min(maxFrames, Limits.maxStackFrames)))
    let reply = try checked("GetStackTrace", .getStackTrace(GetStackTrace(thread: thread ?? 0, maxFrames: frames)))
    guard case .getStackTrace(let s) = reply.body else { return [] }
    return s.frames.map(StackFrame.init)
  }

  public func symbols(moduleBase: UInt32) throws(TargetError) -> [SymbolRecord] {
    var all: [SymbolRecord] = []
    var start: UInt32 = 0
    while true {
      let reply = try checked(
        "GetSymbols", .getSymbols(GetSymbols(moduleBase: UInt64(moduleBase), startIndex: start, maxEntries: 4096)))
      guard case .getSymbols(let page) = reply.body else { break }
      all += page.symbols.map {
        SymbolRecord(name: $0.name, address: $0.address, size: $0.size, isFunction: $0.kind == .function)
      }
      start += UInt32(page.symbols.count)
      if page.symbols.isEmpty || start >= page.totalCount { break }
    }
    return all
  }

  public func symbolFile(moduleBase: UInt32) throws(TargetError) -> SymbolFileRecord? {
    let reply = try checked("GetSymbolFile", .getSymbolFile(GetSymbolFile(moduleBase: UInt64(moduleBase))))
    guard case .getSymbolFile(let file) = reply.body, file.kind == .pdb else { return nil }
    return SymbolFileRecord(pdbName: file.pdbName, guid: file.guid, age: file.age)
  }

  public func poolSites() throws(TargetError) -> PoolSiteListing {
    var listing = PoolSiteListing(virtualTime: 0, sampleInterval: 0, sampleTimes: [], sites: [])
    var start: UInt32 = 0
    while true {
      let reply = try checked("GetPoolSites", .getPoolSites(GetPoolSites(startIndex: start, maxEntries: 4096)))
      guard case .getPoolSites(let page) = reply.body else { break }
      if start == 0 {
        (listing.virtualTime, listing.sampleInterval, listing.sampleTimes) =
          (page.virtualTime, page.sampleInterval, page.sampleTimes)
      }
      // A sample taken between two pages shifts the later pages' histories: align them on the first page's
      // sample times (a sample the later page no longer has counts as 0 there).
      let column = listing.sampleTimes.map { page.sampleTimes.firstIndex(of: $0) }
      listing.sites += page.sites.map { site in
        PoolSiteRecord(
          callSite: site.callSite, tag: site.tag, subTag: site.subTag, outstandingBlocks: site.outstandingBlocks,
          outstandingBytes: site.outstandingBytes, allocations: site.allocations, frees: site.frees,
          frames: site.frames, history: column.map { $0.map { site.history[$0] } ?? 0 })
      }
      start += UInt32(page.sites.count)
      if page.sites.isEmpty || start >= page.totalCount { break }
    }
    return listing
  }

  public func poolScan() throws(TargetError) -> PoolScanListing {
    var listing = PoolScanListing(
      virtualTime: 0, blocks: 0, bytes: 0, lostBlocks: 0, lostBytes: 0, rootBytes: 0, threads: 0, sites: [])
    var start: UInt32 = 0
    while true {
      let reply = try checked("PoolScan", .poolScan(PoolScan(startIndex: start, maxEntries: 4096)))
      guard case .poolScan(let page) = reply.body else { break }
      if start == 0 {
        listing = PoolScanListing(
          virtualTime: page.virtualTime, blocks: page.blocks, bytes: page.bytes, lostBlocks: page.lostBlocks,
          lostBytes: page.lostBytes, rootBytes: page.rootBytes, threads: page.threads, sites: [])
      }
      listing.sites += page.sites.map {
        PoolScanRecord(
          callSite: $0.callSite, tag: $0.tag, blocks: $0.blocks, bytes: $0.bytes, lostBlocks: $0.lostBlocks,
          lostBytes: $0.lostBytes, lostAddresses: $0.lostAddresses)
      }
      let (next, overflow) = start.addingReportingOverflow(UInt32(page.sites.count))
      start = next
      if page.sites.isEmpty || overflow || start >= page.totalCount { break }
    }
    return listing
  }

  public func scenarioLeaks() throws(TargetError) -> [ScenarioLeakRecord] {
    let reply = try checked("GetScenarioLeaks", .getScenarioLeaks(GetScenarioLeaks()))
    guard case .getScenarioLeaks(let truth) = reply.body else { return [] }
    return truth.leaks.map {
      ScenarioLeakRecord(
        function: $0.function, tag: $0.tag, referenced: $0.referenced,
        blocksPerSecond: Double($0.milliBlocksPerSecond) / 1000, bytesPerSecond: Double($0.milliBytesPerSecond) / 1000)
    }
  }

  public func haltAt(virtualTime: UInt64) throws(TargetError) -> UInt64 {
    let reply = try checked("HaltAt", .haltAt(HaltAt(virtualTime: virtualTime)))
    guard case .haltAt(let h) = reply.body else { return 0 }
    return h.now
  }

  public func tagSplit(_ operation: TagSplitOperation, tag: UInt32) throws(TargetError) -> [TagSplitAssignment] {
    let wire: TagSplit.Operation =
      switch operation {
      case .list: .list
      case .split: .split
      case .merge: .merge
      }
    let reply = try checked("TagSplit", .tagSplit(TagSplit(operation: wire, tag: tag)))
    guard case .tagSplit(let t) = reply.body else { return [] }
    return t.assignments.map { TagSplitAssignment(tag: $0.tag, subTag: $0.subTag, callSite: $0.callSite) }
  }

  public func poolTrace(_ operation: PoolTraceOperation) throws(TargetError) -> PoolTraceState {
    let request: PoolTraceControl =
      switch operation {
      case .status: PoolTraceControl(operation: .status)
      case .stop: PoolTraceControl(operation: .stop)
      case .start(let tag, let allocations, let frees, let limit):
        PoolTraceControl(
          operation: .start, tag: tag,
          kinds: PoolTraceControl.Kinds(rawValue: (allocations ? 1 : 0) | (frees ? 2 : 0)), limit: limit)
      }
    let reply = try checked("PoolTraceControl", .poolTraceControl(request))
    guard case .poolTraceControl(let t) = reply.body else {
      throw .refused(
        operation: "PoolTraceControl", status: NTStatus.protocolError.rawValue, message: "mismatched reply")
    }
    return PoolTraceState(
      active: t.active, tag: t.tag, allocations: t.kinds.contains(.allocations), frees: t.kinds.contains(.frees),
      limit: t.limit, logged: t.logged, dropped: t.dropped)
  }

  public func subscribePoolTrace(_ on: Bool) throws(TargetError) -> UInt64 {
    let reply = try checked("PoolTraceSubscribe", .poolTraceSubscribe(PoolTraceSubscribe(subscribe: on)))
    guard case .poolTraceSubscribe(let s) = reply.body else { return 0 }
    return s.logged
  }

  public func takePoolTraceEvents() -> (events: [PoolTraceEvent], dropped: UInt64) { connection.takeTraceEvents() }

  public func reboot() throws(TargetError) {
    cachedVersion.withLock { $0 = nil }
    connection.discardEvents()
    _ = try checked("Reboot", .reboot(KDProtocol.Reboot()))
  }
}

extension TargetError {
  init(_ error: RemoteError, operation: String) {
    switch error {
    case .disconnected(let reason), .connect(let reason): self = .disconnected(reason: reason)
    case .timeout(let reason), .configuration(let reason): self = .disconnected(reason: reason)
    case .transport(let failure): self = .disconnected(reason: failure.description)
    case .refused(let status, let message):
      self = .refused(operation: operation, status: status.rawValue, message: message)
    }
  }
}

extension X86Context {
  init(_ c: KDProtocol.X86Context) {
    self.init()
    (eax, ebx, ecx, edx, esi, edi, ebp, esp, eip, eflags) =
      (c.eax, c.ebx, c.ecx, c.edx, c.esi, c.edi, c.ebp, c.esp, c.eip, c.eflags)
    (cs, ss, ds, es, fs, gs) = (
      UInt16(truncatingIfNeeded: c.cs), UInt16(truncatingIfNeeded: c.ss), UInt16(truncatingIfNeeded: c.ds),
      UInt16(truncatingIfNeeded: c.es), UInt16(truncatingIfNeeded: c.fs), UInt16(truncatingIfNeeded: c.gs)
    )
  }
}

extension KDProtocol.X86Context {
  init(_ c: KDClient.X86Context) {
    self.init(registers: [
      c.eax, c.ebx, c.ecx, c.edx, c.esi, c.edi, c.ebp, c.esp, c.eip, c.eflags, UInt32(c.cs), UInt32(c.ss), UInt32(c.ds),
      UInt32(c.es), UInt32(c.fs), UInt32(c.gs),
    ])
  }
}

extension StackFrame {
  init(_ f: KDProtocol.StackFrame) {
    self.init(
      childEBP: f.childEBP, returnAddress: f.returnAddress, args: f.args, instructionPointer: f.instructionPointer)
  }
}

extension BreakEvent {
  /// A state change as the debugger's break event; nil for anything that is not a break.
  init?(_ change: StateChange) {
    guard case .exception(let record, let reason, let handle) = change.detail else { return nil }
    let kind: Kind =
      switch reason {
      case .breakpoint: .breakpoint
      case .breakIn: .breakIn
      case .singleStep: .singleStep
      case .bugCheck: .bugCheck
      case .dataBreakpoint: .dataBreakpoint
      default: .exception
      }
    var parameters = record.parameters.map { UInt32(truncatingIfNeeded: $0) }
    var code = record.code
    if reason == .bugCheck, let first = parameters.first {
      code = first
      parameters.removeFirst()
    }
    self.init(
      kind: kind, processor: Int(change.processor), processors: Int(change.processors),
      thread: UInt32(truncatingIfNeeded: change.thread), pc: UInt32(truncatingIfNeeded: change.programCounter),
      exceptionCode: code, exceptionAddress: UInt32(truncatingIfNeeded: record.address),
      firstChance: record.firstChance,
      parameters: parameters, context: X86Context(change.context), stack: change.stack.map(StackFrame.init))
    breakpointHandle = handle
  }
}
