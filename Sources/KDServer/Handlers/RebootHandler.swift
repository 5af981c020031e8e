import KDKernel
import KDProtocol

extension Reboot: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    try context.control.reboot()
    return (.success, .reboot(self))
  }
}
