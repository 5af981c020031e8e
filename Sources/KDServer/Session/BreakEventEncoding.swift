import KDKernel
import KDProtocol

extension StateChange {
  /// The wire form of a kernel break: registers and up to `maxFrames` of its stack travel with it.
  init(_ event: BreakEvent, processors: UInt32, maxFrames: Int) {
    let reason: BreakReason
    var handle: UInt32 = 0
    var parameters = event.parameters.map(UInt64.init)
    switch event.reason {
    case .breakpoint(let h):
      reason = .breakpoint
      handle = h
    case .breakIn, .timeLimit: reason = .breakIn
    case .singleStep: reason = .singleStep
    case .dataBreakpoint(let h, let address):
      reason = .dataBreakpoint
      handle = h
      parameters = [UInt64(address)]
    case .hardcoded: reason = event.exceptionCode == 0x8000_0003 ? .hardcodedBreakpoint : .exception
    case .bugCheck(let code, let params):
      reason = .bugCheck
      parameters = ([code] + params).prefix(15).map(UInt64.init)
    }
    self.init(
      detail: .exception(
        ExceptionRecord(
          code: event.exceptionCode, flags: event.exceptionFlags, address: UInt64(event.exceptionAddress),
          parameters: parameters, firstChance: event.firstChance),
        reason: reason, breakpointHandle: handle))
    processor = UInt16(truncatingIfNeeded: event.processor)
    self.processors = processors
    thread = UInt64(event.thread)
    programCounter = UInt64(event.pc)
    context = KDProtocol.X86Context(event.context)
    stack = event.stack.prefix(maxFrames).map(KDProtocol.StackFrame.init)
    controlReport.instructionStream = Array(event.instructionStream.prefix(16))
    controlReport.segCs = UInt16(truncatingIfNeeded: event.context.cs)
    controlReport.segDs = UInt16(truncatingIfNeeded: event.context.ds)
    controlReport.segEs = UInt16(truncatingIfNeeded: event.context.es)
    controlReport.segFs = UInt16(truncatingIfNeeded: event.context.fs)
    controlReport.eflags = event.context.eflags
  }
}
