import KDKernel
import KDProtocol

extension GetStackTrace: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let fit = replyDataLimit(context.maxPayload) / KDProtocol.StackFrame.size
    let frames = context.control.stackTrace(thread: thread == 0 ? nil : thread, maxFrames: min(Int(maxFrames), fit))
    return (
      .success,
      .getStackTrace(
        GetStackTrace(thread: thread, maxFrames: maxFrames, frames: frames.map(KDProtocol.StackFrame.init)))
    )
  }
}

extension KDProtocol.StackFrame {
  init(_ f: KDKernel.StackFrame) {
    let args = Array((f.args + [0, 0, 0, 0]).prefix(4))
    self.init(
      childEBP: f.childEBP, returnAddress: f.returnAddress, args: args, instructionPointer: f.instructionPointer)
  }
}
