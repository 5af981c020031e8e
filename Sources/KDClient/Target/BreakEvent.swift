/// Why the target stopped. Break notifications carry registers and stack so that printing them
/// (and `kb` right after) needs no extra request.
public struct BreakEvent: Sendable, Equatable, Codable {
  /// What kind of stop this is; decides KD's banner.
  public enum Kind: String, Sendable, Equatable, Codable {
    /// An exception, e.g. the `int 3` PoolHitTag executes (code 80000003).
    case exception
    /// A debugger breakpoint set with `setBreakpoint` was hit.
    case breakpoint
    /// `breakIn()` (Ctrl+C) stopped the target.
    case breakIn
    /// A single step (`p`/`t`) completed.
    case singleStep
    /// KeBugCheckEx: `exceptionCode` is the bug-check code, `parameters` its four arguments.
    case bugCheck
    /// A data (processor) breakpoint (`ba`, or a GDB client's watchpoint): `breakpointHandle` says which,
    /// `parameters[0]` the watched address touched; code 80000004, as the debug registers raise it.
    case dataBreakpoint
  }

  public var kind: Kind
  public var processor: Int
  public var processors: Int
  @HexString public var thread: UInt32
  @HexString public var pc: UInt32
  @HexString public var exceptionCode: UInt32
  @HexString public var exceptionAddress: UInt32
  public var firstChance: Bool
  @HexString public var parameters: [UInt32]
  public var context: X86Context
  public var stack: [StackFrame]
  /// The target's handle of the breakpoint hit (software or data), 0 when the stop was not one.
  public var breakpointHandle: UInt32 = 0

  public init(
    kind: Kind, processor: Int = 0, processors: Int = 1, thread: UInt32 = 0, pc: UInt32,
    exceptionCode: UInt32 = 0x8000_0003,
    exceptionAddress: UInt32? = nil, firstChance: Bool = true, parameters: [UInt32] = [], context: X86Context,
    stack: [StackFrame] = []
  ) {
    self.kind = kind
    self.processor = processor
    self.processors = processors
    self.thread = thread
    self.pc = pc
    self.exceptionCode = exceptionCode
    self.exceptionAddress = exceptionAddress ?? pc
    self.firstChance = firstChance
    self.parameters = parameters
    self.context = context
    self.stack = stack
  }
}
