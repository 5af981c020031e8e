import KDKernel
import KDProtocol

/// The subscription itself is the session's state: ``Session`` turns its stream on or off when this succeeds.
extension PoolTraceSubscribe: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    (
      .success,
      .poolTraceSubscribe(PoolTraceSubscribe(subscribe: subscribe, logged: context.control.poolTraceStatus().logged))
    )
  }
}
