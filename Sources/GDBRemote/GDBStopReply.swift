/// A `T` stop reply: the signal, the thread, why (swbreak, a watchpoint's address) and the registers gdb needs
/// at once (expedited, so it asks for no `g` to show where the target stopped).
public struct GDBStopReply: Equatable, Sendable {
  public enum Cause: Equatable, Sendable {
    /// Nothing to add beyond the signal (break-in, single step, a break in the target's own code).
    case none
    /// A software breakpoint the debugger set (`swbreak`, when gdb announced `swbreak+`).
    case softwareBreakpoint
    /// A hardware (execution) breakpoint the debugger set with Z1 (`hwbreak`).
    case hardwareBreakpoint
    case watch(address: UInt32)
    case readWatch(address: UInt32)
    case accessWatch(address: UInt32)
  }

  /// SIGTRAP for breakpoints and steps, SIGINT after an interrupt.
  public static let sigtrap: UInt8 = 5
  public static let sigint: UInt8 = 2

  public var signal: UInt8
  public var thread: UInt64
  public var cause: Cause
  /// Register number and value, in gdb's i386 numbering (``GDBI386Registers``).
  public var registers: [(Int, UInt32)]
  /// `library:;`: gdb reads the libraries list again (and their symbols) before reporting the stop.
  public var librariesChanged = false

  public init(signal: UInt8, thread: UInt64, cause: Cause, registers: [(Int, UInt32)]) {
    self.signal = signal
    self.thread = thread
    self.cause = cause
    self.registers = registers
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.signal == b.signal && a.thread == b.thread && a.cause == b.cause
      && a.registers.elementsEqual(b.registers, by: { $0.0 == $1.0 && $0.1 == $1.1 })
  }

  public var payload: String {
    var out = "T" + hex2(signal)
    switch cause {
    case .none: break
    case .softwareBreakpoint: out += "swbreak:;"
    case .hardwareBreakpoint: out += "hwbreak:;"
    case .watch(let a): out += "watch:\(GDBHex.number(a));"
    case .readWatch(let a): out += "rwatch:\(GDBHex.number(a));"
    case .accessWatch(let a): out += "awatch:\(GDBHex.number(a));"
    }
    if librariesChanged { out += "library:;" }
    out += "thread:\(GDBHex.number(thread));"
    for (number, value) in registers {
      out += hex2(UInt8(truncatingIfNeeded: number)) + ":" + GDBHex.register(value) + ";"
    }
    return out
  }
}
