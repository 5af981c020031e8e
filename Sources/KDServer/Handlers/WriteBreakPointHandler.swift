import KDKernel
import KDProtocol

extension WriteBreakPoint: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let target = narrowAddress(address) else {
      return (.invalidParameter, .writeBreakPoint(self))
    }
    let handle = try context.control.setBreakpoint(at: target)
    return (.success, .writeBreakPoint(WriteBreakPoint(address: address, handle: handle)))
  }
}

extension RestoreBreakPoint: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    try context.control.removeBreakpoint(handle: handle)
    return (.success, .restoreBreakPoint(self))
  }
}
