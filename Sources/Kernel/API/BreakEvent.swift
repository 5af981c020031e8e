/// Why and where the whole target stopped.
public struct BreakEvent: Sendable, Equatable {
  /// Most frames of the stack a break captures (`stack` holds at most this many): what a break notification
  /// can carry; GetStackTrace walks deeper on request.
  public static let capturedStackFrames = 32

  public enum Reason: Sendable, Equatable {
    /// One of our software breakpoints (0xCC written by `setBreakpoint`).
    case breakpoint(handle: UInt32)
    /// `breakIn()` from the debugger.
    case breakIn
    case singleStep
    /// A data breakpoint (``KernelControl/setDataBreakpoint(address:size:access:)``): `address` is the watched
    /// address the access touched, or the instruction's for an execution breakpoint. Reported as x86 reports
    /// a debug-register hit: exception code 0x80000004, after the access (before the instruction, for execution).
    case dataBreakpoint(handle: UInt32, address: UInt32)
    /// An `int 3` that is part of the code (PoolHitTag in the allocator, DbgBreakPoint).
    case hardcoded
    /// KeBugCheckEx, called by a driver or raised for a kernel-mode fault.
    case bugCheck(code: UInt32, parameters: [UInt32])
    /// `haltAt(virtualTime:)` reached (a lab facility, not a KD event).
    case timeLimit
  }

  public var processor: UInt32 = 0
  /// KTHREAD address of the thread that was current.
  public var thread: UInt32
  public var pc: UInt32
  /// 0x80000003 int 3 / break-in / bug check, 0x80000004 single step and data breakpoints.
  public var exceptionCode: UInt32
  public var exceptionFlags: UInt32 = 0
  public var exceptionAddress: UInt32
  public var parameters: [UInt32] = []
  public var firstChance: Bool = true
  public var reason: Reason
  public var context: X86Context
  public var stack: [StackFrame]
  /// Virtual time of the stop, 100 ns units since boot.
  public var virtualTime: UInt64
  /// The 16 bytes at `pc` as a debugger reads them (our breakpoints hidden), read when the target stopped,
  /// for KD's control report; fewer where memory ends.
  public var instructionStream: [UInt8] = []
}

public enum ExceptionCode {
  public static let breakpoint: UInt32 = 0x8000_0003
  public static let singleStep: UInt32 = 0x8000_0004
  public static let accessViolation: UInt32 = 0xC000_0005
  public static let illegalInstruction: UInt32 = 0xC000_001D
  public static let integerDivideByZero: UInt32 = 0xC000_0094
}
