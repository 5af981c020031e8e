import KDKernel
import KDProtocol

extension PoolTraceControl: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let status: PoolTraceStatus
    switch operation {
    case .status: status = context.control.poolTraceStatus()
    case .stop: status = context.control.stopPoolTrace()
    case .start:
      guard !kinds.isEmpty else { return (.invalidParameter, .poolTraceControl(self)) }
      status = context.control.startPoolTrace(
        PoolTraceFilter(
          tag: tag, allocations: kinds.contains(.allocations), frees: kinds.contains(.frees),
          limit: limit == 0 ? nil : UInt64(limit)))
    }
    var reply = self
    if let f = status.filter {
      reply.tag = f.tag
      reply.kinds = Kinds(rawValue: (f.allocations ? 1 : 0) | (f.frees ? 2 : 0))
      reply.limit = f.limit.map { UInt32(clamping: $0) } ?? 0
    }
    reply.active = status.active
    reply.logged = status.logged
    reply.dropped = status.dropped
    return (.success, .poolTraceControl(reply))
  }
}
