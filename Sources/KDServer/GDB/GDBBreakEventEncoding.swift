import KDGDBRemote
import KDKernel

/// The one edge between the kernel's models and gdb's: register order, and a break event as a stop reply.
extension X86Context {
  /// gdb's i386 order: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs.
  var gdbOrder: [UInt32] { [eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cs, ss, ds, es, fs, gs] }

  /// Takes the 16 values in gdb's order. The segment registers are the flat model's and stay as they are.
  mutating func setGDBOrder(_ v: [UInt32]) {
    (eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9])
  }
}

extension GDBStopReply {
  /// SIGINT for a break-in (gdb's Ctrl-C, or the one `?` makes on a running target), SIGTRAP for the rest; the thread as
  /// gdb numbers it (``GDBSession/gdbID(_:)``); eip, esp and ebp travel with it.
  init(_ event: BreakEvent, session: GDBSession) {
    let signal: UInt8
    var cause = Cause.none
    switch event.reason {
    case .breakIn: signal = Self.sigint
    case .breakpoint:
      signal = Self.sigtrap
      if session.peerReportsSwbreak { cause = .softwareBreakpoint }
    case .dataBreakpoint(let handle, let address):
      signal = Self.sigtrap
      switch session.dataPoint(handle: handle)?.type {
      case GDBRequest.PointType.write.rawValue?: cause = .watch(address: address)
      case GDBRequest.PointType.read.rawValue?: cause = .readWatch(address: address)
      case GDBRequest.PointType.access.rawValue?: cause = .accessWatch(address: address)
      case GDBRequest.PointType.hardware.rawValue?: cause = .hardwareBreakpoint
      default: break  // a KD client's data breakpoint: a plain SIGTRAP
      }
    case .singleStep, .hardcoded, .bugCheck, .timeLimit: signal = Self.sigtrap
    }
    let c = event.context
    self.init(
      signal: signal, thread: session.gdbID(kthread: event.thread) ?? UInt64(event.thread), cause: cause,
      registers: [(GDBI386Registers.ebp, c.ebp), (GDBI386Registers.esp, c.esp), (GDBI386Registers.eip, c.eip)])
  }
}
