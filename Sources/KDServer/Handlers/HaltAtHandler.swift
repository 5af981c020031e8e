import KDKernel
import KDProtocol

extension HaltAt: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    context.control.haltAt(virtualTime: virtualTime == 0 ? nil : virtualTime)
    return (.success, .haltAt(HaltAt(virtualTime: virtualTime, now: context.control.virtualTime)))
  }
}
