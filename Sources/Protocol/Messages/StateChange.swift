/// Why the target stopped. Carried in the state change's ProcessorLevel-adjacent word that KD leaves as padding.
public struct BreakReason: RawRepresentable, Hashable, Sendable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public static let none = BreakReason(rawValue: 0)
  /// A software breakpoint set by the debugger (BreakpointHandle says which).
  public static let breakpoint = BreakReason(rawValue: 1)
  /// Break-in requested by a debugger (Ctrl+C, a break-in packet).
  public static let breakIn = BreakReason(rawValue: 2)
  /// A single step completed.
  public static let singleStep = BreakReason(rawValue: 3)
  /// An `int 3` in the target's own code (PoolHitTag's, DbgBreakPoint).
  public static let hardcodedBreakpoint = BreakReason(rawValue: 4)
  /// Any other exception (access violation, invalid opcode, divide error).
  public static let exception = BreakReason(rawValue: 5)
  /// A bug check: ExceptionInformation[0] is the bug check code, [1...4] its parameters.
  public static let bugCheck = BreakReason(rawValue: 6)
  /// A data breakpoint (x86 debug-register semantics; exception code 0x80000004): BreakpointHandle is its
  /// handle, Parameters[0] the watched address touched.
  public static let dataBreakpoint = BreakReason(rawValue: 7)
}

/// A state change's exception record (KD's EXCEPTION_RECORD64 + FirstChance), at payload offsets 32-191.
public struct ExceptionRecord: Equatable, Sendable {
  public var code: UInt32
  public var flags: UInt32
  public var address: UInt64
  public var parameters: [UInt64]
  public var firstChance: Bool

  public init(code: UInt32, flags: UInt32 = 0, address: UInt64, parameters: [UInt64] = [], firstChance: Bool = true) {
    precondition(parameters.count <= 15)
    self.code = code
    self.flags = flags
    self.address = address
    self.parameters = parameters
    self.firstChance = firstChance
  }
}

/// KD's x86 DBGKD_CONTROL_REPORT (40 bytes at payload offset 192): debug registers, the 16 instruction bytes at
/// the program counter (with the debugger's own breakpoints removed, as KD does), segments and flags.
public struct ControlReport: Equatable, Sendable {
  public var dr6: UInt32 = 0
  public var dr7: UInt32 = 0
  public var instructionStream: [UInt8] = []
  public var reportFlags: UInt16 = 0
  public var segCs: UInt16 = 0, segDs: UInt16 = 0, segEs: UInt16 = 0, segFs: UInt16 = 0
  public var eflags: UInt32 = 0
  public init() {}
}

/// A KD_STATE_CHANGE64 payload: a break (NewState 0x3030), a module load (0x3031) or "running" (0x3180).
///
/// ```
/// +0   NewState u32          +4 ProcessorLevel u16   +6 Processor u16
/// +8   NumberProcessors u32  +12 BreakReason u32 (KD: padding)
/// +16  Thread u64 (KTHREAD)  +24 ProgramCounter u64
/// +32  union, 160 bytes:
///      exception:   Code u32 @32, Flags u32 @36, ExceptionRecord u64 @40 (0), Address u64 @48,
///                   NumberParameters u32 @56, reserved u32 @60, ExceptionInformation[15] u64 @64,
///                   FirstChance u32 @184, BreakpointHandle u32 @188 (ours; KD: padding)
///      loadSymbols: PathNameLength u32 @32, reserved u32 @36, BaseOfDll u64 @40, ProcessId u64 @48,
///                   CheckSum u32 @56, SizeOfImage u32 @60, UnloadSymbols u32 @64, rest 0
///      running:     all 0
/// +192 control report, 40 bytes: Dr6 u32, Dr7 u32, InstructionCount u16, ReportFlags u16,
///      InstructionStream[16], SegCs u16, SegDs u16, SegEs u16, SegFs u16, EFlags u32
/// +232 context, 64 bytes (X86Context)
/// +296 StackFrameCount u32, reserved u32
/// +304 StackFrameCount × StackFrame (32 bytes each), then the path name (loadSymbols)
/// ```
/// A break carries its registers and stack, so printing `r` or `kb` after a break costs no request.
public struct StateChange: Equatable, Sendable {
  public static let fixedSize = 304

  public enum Detail: Equatable, Sendable {
    case exception(ExceptionRecord, reason: BreakReason, breakpointHandle: UInt32)
    case loadSymbols(LoadedImage)
    case running
  }

  public struct LoadedImage: Equatable, Sendable {
    public var path: String
    public var base: UInt64
    public var checksum: UInt32
    public var sizeOfImage: UInt32
    public var unload: Bool
    public init(path: String, base: UInt64, checksum: UInt32, sizeOfImage: UInt32, unload: Bool = false) {
      self.path = path
      self.base = base
      self.checksum = checksum
      self.sizeOfImage = sizeOfImage
      self.unload = unload
    }
  }

  public var processorLevel: UInt16 = 0
  public var processor: UInt16 = 0
  public var processors: UInt32 = 1
  public var thread: UInt64 = 0
  public var programCounter: UInt64 = 0
  public var detail: Detail
  public var controlReport = ControlReport()
  public var context = X86Context()
  public var stack: [StackFrame] = []

  public init(detail: Detail) { self.detail = detail }

  public var newState: NewState {
    switch detail {
    case .exception: .exception
    case .loadSymbols: .loadSymbols
    case .running: .running
    }
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    let stateAt = r.absoluteOffset
    let state = NewState(rawValue: try r.u32())
    processorLevel = try r.u16()
    processor = try r.u16()
    processors = try r.u32()
    let reasonAt = r.absoluteOffset
    let reason = BreakReason(rawValue: try r.u32())
    if state != .exception, reason.rawValue != 0 {
      // Only an exception carries a break reason: elsewhere the field is reserved (so decoding stays canonical).
      throw .reservedNotZero(found: UInt64(reason.rawValue), offset: reasonAt)
    }
    thread = try r.u64()
    programCounter = try r.u64()
    var u = ByteReader(try r.bytes(160), baseOffset: Frame.headerSize + 32)
    controlReport = ControlReport()
    controlReport.dr6 = try r.u32()
    controlReport.dr7 = try r.u32()
    let instructionCount = Int(try r.u16())
    controlReport.reportFlags = try r.u16()
    let streamAt = r.absoluteOffset
    let stream = try r.bytes(16)
    if instructionCount > 16 {
      throw .invalidValue(field: "InstructionCount", found: UInt64(instructionCount), offset: streamAt - 4)
    }
    if let pad = stream[instructionCount...].firstIndex(where: { $0 != 0 }) {
      throw .reservedNotZero(found: UInt64(stream[pad]), offset: streamAt + pad)
    }
    controlReport.instructionStream = Array(stream.prefix(instructionCount))
    controlReport.segCs = try r.u16()
    controlReport.segDs = try r.u16()
    controlReport.segEs = try r.u16()
    controlReport.segFs = try r.u16()
    controlReport.eflags = try r.u32()
    context = try X86Context(from: &r)
    let countAt = r.absoluteOffset
    let frameCount = Int(try r.u32())
    try r.reserved32()
    stack = try StackFrame.decodeList(&r, count: frameCount, countOffset: countAt)
    switch state {
    case .exception:
      let code = try u.u32()
      let flags = try u.u32()
      let nestedAt = u.absoluteOffset
      if try u.u64() != 0 { throw .reservedNotZero(found: 1, offset: nestedAt) }
      let address = try u.u64()
      let countAt = u.absoluteOffset
      let count = Int(try u.u32())
      try u.reserved32()
      if count > 15 { throw .invalidValue(field: "NumberParameters", found: UInt64(count), offset: countAt) }
      var parameters: [UInt64] = []
      for i in 0..<15 {
        let at = u.absoluteOffset
        let value = try u.u64()
        if i < count {
          parameters.append(value)
        } else if value != 0 {
          throw .reservedNotZero(found: value, offset: at)
        }
      }
      let firstChance = try u.bool32(field: "FirstChance")
      let handle = try u.u32()
      detail = .exception(
        ExceptionRecord(code: code, flags: flags, address: address, parameters: parameters, firstChance: firstChance),
        reason: reason, breakpointHandle: handle)
      try r.expectEnd()
    case .loadSymbols:
      let pathLength = Int(try u.u32())
      try u.reserved32()
      let base = try u.u64()
      try u.reserved(8)  // ProcessId: always 0 for kernel modules
      let checksum = try u.u32()
      let size = try u.u32()
      let unload = try u.bool32(field: "UnloadSymbols")
      try u.reserved(u.remaining)
      let path = try r.utf8(pathLength, field: "PathName")
      try r.expectEnd()
      detail = .loadSymbols(LoadedImage(path: path, base: base, checksum: checksum, sizeOfImage: size, unload: unload))
    case .running:
      try u.reserved(u.remaining)
      try r.expectEnd()
      detail = .running
    default:
      throw .invalidValue(field: "NewState", found: UInt64(state.rawValue), offset: stateAt)
    }
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: Self.fixedSize + stack.count * StackFrame.size)
    w.u32(newState.rawValue)
    w.u16(processorLevel)
    w.u16(processor)
    w.u32(processors)
    if case .exception(_, let reason, _) = detail { w.u32(reason.rawValue) } else { w.u32(0) }
    w.u64(thread)
    w.u64(programCounter)
    var u = ByteWriter(capacity: 160)
    var path: [UInt8] = []
    switch detail {
    case .exception(let record, _, let handle):
      u.u32(record.code)
      u.u32(record.flags)
      u.u64(0)
      u.u64(record.address)
      u.u32(UInt32(record.parameters.count))
      u.u32(0)
      for i in 0..<15 { u.u64(i < record.parameters.count ? record.parameters[i] : 0) }
      u.u32(record.firstChance ? 1 : 0)
      u.u32(handle)
    case .loadSymbols(let image):
      path = Array(image.path.utf8)
      u.u32(UInt32(path.count))
      u.u32(0)
      u.u64(image.base)
      u.u64(0)
      u.u32(image.checksum)
      u.u32(image.sizeOfImage)
      u.u32(image.unload ? 1 : 0)
    case .running:
      break
    }
    u.pad(to: 160)
    w.append(u.bytes)
    w.u32(controlReport.dr6)
    w.u32(controlReport.dr7)
    let stream = controlReport.instructionStream.prefix(16)
    w.u16(UInt16(stream.count))
    w.u16(controlReport.reportFlags)
    w.append(stream)
    w.zeros(16 - stream.count)
    w.u16(controlReport.segCs)
    w.u16(controlReport.segDs)
    w.u16(controlReport.segEs)
    w.u16(controlReport.segFs)
    w.u32(controlReport.eflags)
    context.encode(into: &w)
    w.u32(UInt32(stack.count))
    w.u32(0)
    for frame in stack { frame.encode(into: &w) }
    w.append(path)
    return w.bytes
  }
}
