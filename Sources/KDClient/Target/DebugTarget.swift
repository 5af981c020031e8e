/// What the debugger needs from a target: a few primitives, each one round trip over the wire.
/// The debugger does the thinking (symbols, pool walks, stack rendering); the target only serves memory,
/// registers, breakpoints and execution control. `RemoteTarget` (KDServer side) implements it over the wire.
public protocol DebugTarget: AnyObject {
  /// `.running`, or `.halted` with the event that stopped it.
  var state: TargetState { get }
  func version() throws(TargetError) -> TargetVersion
  /// May return fewer bytes than asked: the first unreadable byte is at `address + result.count`.
  func readVirtual(_ address: UInt32, count: Int) throws(TargetError) -> [UInt8]
  /// Returns how many bytes were written (fewer when the range runs into unmapped memory).
  func writeVirtual(_ address: UInt32, _ bytes: [UInt8]) throws(TargetError) -> Int
  /// First address in `[from, from + length)` where `pattern` starts, or nil.
  func search(from: UInt32, length: UInt32, pattern: [UInt8]) throws(TargetError) -> UInt32?
  func context(thread: UInt32?) throws(TargetError) -> X86Context
  func setContext(_ c: X86Context, thread: UInt32?) throws(TargetError)
  /// Returns a handle for `removeBreakpoint`.
  func setBreakpoint(_ address: UInt32) throws(TargetError) -> UInt32
  func removeBreakpoint(_ handle: UInt32) throws(TargetError)
  /// A data (processor) breakpoint, x86 debug-register rules (1, 2 or 4 bytes aligned; at most four); its handle.
  func setDataBreakpoint(_ address: UInt32, size: UInt32, access: DataBreakpointAccess) throws(TargetError) -> UInt32
  func removeDataBreakpoint(_ handle: UInt32) throws(TargetError)
  func resume(singleStep: Bool) throws(TargetError)
  func breakIn() throws(TargetError)
  /// Blocks until the target stops; nil when `timeout` passes first.
  func waitForBreak(timeout: Duration?) throws(TargetError) -> BreakEvent?
  func stackTrace(thread: UInt32?, maxFrames: Int) throws(TargetError) -> [StackFrame]
  func symbols(moduleBase: UInt32) throws(TargetError) -> [SymbolRecord]
  /// The PDB the module's symbols come from; nil when they are its exports.
  func symbolFile(moduleBase: UInt32) throws(TargetError) -> SymbolFileRecord?
  func reboot() throws(TargetError)
  /// See the extension below: a target that knows its memory map answers it in one request.
  func unmappedExtent(at address: UInt32) throws(TargetError) -> UInt64?
  /// Outstanding pool per allocating call site (ours). A target that does not count them refuses.
  func poolSites() throws(TargetError) -> PoolSiteListing
  /// Splits a tag by call site, merges it back, or lists the sub-tags (ours); returns the sub-tags concerned.
  func tagSplit(_ operation: TagSplitOperation, tag: UInt32) throws(TargetError) -> [TagSplitAssignment]
  /// Starts, stops or reads a tag tracepoint (ours).
  func poolTrace(_ operation: PoolTraceOperation) throws(TargetError) -> PoolTraceState
  /// Streams the tracepoints' events to this debugger (or stops); returns the events logged so far.
  func subscribePoolTrace(_ on: Bool) throws(TargetError) -> UInt64
  /// The streamed events received since the last call, oldest first, and how many were lost on the way.
  func takePoolTraceEvents() -> (events: [PoolTraceEvent], dropped: UInt64)
  /// A reachability scan of the pools, with the target halted (ours).
  func poolScan() throws(TargetError) -> PoolScanListing
  /// The leaking call sites the target's scenario declares (ours).
  func scenarioLeaks() throws(TargetError) -> [ScenarioLeakRecord]
  /// Makes the target halt by itself at `virtualTime` (100 ns units; 0 clears); returns its virtual time now (ours).
  func haltAt(virtualTime: UInt64) throws(TargetError) -> UInt64
  /// Reads, stores or clears the Driver Verifier settings for the next boot (ours).
  func verifierSettings(_ operation: VerifierSettingsOperation) throws(TargetError) -> VerifierSettingList
  /// Asks the target to unload a driver (ours); returns the id of the system thread that will unload it.
  func unloadDriver(_ name: String) throws(TargetError) -> UInt32
}

extension DebugTarget {
  /// When nothing is mapped at `address`: the number of bytes up to the next mapped address (to the end of the
  /// address space if none), so a scan can skip the gap at once. Nil when `address` is mapped or the target cannot
  /// tell; scans then step one page.
  public func unmappedExtent(at address: UInt32) throws(TargetError) -> UInt64? { nil }

  /// A target that cannot say serves export symbols.
  public func symbolFile(moduleBase: UInt32) throws(TargetError) -> SymbolFileRecord? { nil }
}

extension DebugTarget {
  public func poolSites() throws(TargetError) -> PoolSiteListing {
    throw .refused(
      operation: "GetPoolSites", status: 0xC000_0002, message: "this target does not count pool call sites")
  }

  public func tagSplit(_ operation: TagSplitOperation, tag: UInt32) throws(TargetError) -> [TagSplitAssignment] {
    throw .refused(operation: "TagSplit", status: 0xC000_0002, message: "this target cannot split pool tags")
  }

  public func poolTrace(_ operation: PoolTraceOperation) throws(TargetError) -> PoolTraceState {
    throw .refused(operation: "PoolTraceControl", status: 0xC000_0002, message: "this target has no tag tracepoints")
  }

  public func subscribePoolTrace(_ on: Bool) throws(TargetError) -> UInt64 {
    throw .refused(operation: "PoolTraceSubscribe", status: 0xC000_0002, message: "this target has no tag tracepoints")
  }

  public func takePoolTraceEvents() -> (events: [PoolTraceEvent], dropped: UInt64) { ([], 0) }

  public func verifierSettings(_ operation: VerifierSettingsOperation) throws(TargetError) -> VerifierSettingList {
    throw .refused(operation: "VerifierSettings", status: 0xC000_0002, message: "this target has no Driver Verifier")
  }

  public func unloadDriver(_ name: String) throws(TargetError) -> UInt32 {
    throw .refused(operation: "UnloadDriver", status: 0xC000_0002, message: "this target cannot unload drivers")
  }
}

extension DebugTarget {
  public func poolScan() throws(TargetError) -> PoolScanListing {
    throw .refused(operation: "PoolScan", status: 0xC000_0002, message: "this target cannot scan its pools")
  }

  public func scenarioLeaks() throws(TargetError) -> [ScenarioLeakRecord] {
    throw .refused(
      operation: "GetScenarioLeaks", status: 0xC000_0002, message: "this target declares no ground truth")
  }

  public func haltAt(virtualTime: UInt64) throws(TargetError) -> UInt64 {
    throw .refused(operation: "HaltAt", status: 0xC000_0002, message: "this target cannot halt at a virtual time")
  }
}
