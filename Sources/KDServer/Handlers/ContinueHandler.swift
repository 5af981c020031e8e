import KDKernel
import KDProtocol

extension Continue: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    try context.control.resume(singleStep: false)
    return (.success, .continue(self))
  }
}

extension Continue2: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    try context.control.resume(singleStep: singleStep)
    return (.success, .continue2(self))
  }
}
