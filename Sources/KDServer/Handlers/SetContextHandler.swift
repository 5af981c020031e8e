import KDKernel
import KDProtocol

extension SetContext: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard case .halted = context.control.runState else { throw .notHalted }
    guard let registers = self.context else {
      return (.invalidParameter, .setContext(SetContext(thread: thread, context: nil)))
    }
    try context.control.setContext(KDKernel.X86Context(registers), thread: thread == 0 ? nil : thread)
    return (.success, .setContext(SetContext(thread: thread, context: nil)))
  }
}
