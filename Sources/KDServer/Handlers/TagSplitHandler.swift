import KDKernel
import KDProtocol

extension TagSplit: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let done: [PoolTagAssignment]
    switch operation {
    case .list: done = context.control.poolTagAssignments()
    case .split:
      guard tag != 0 else { return (.invalidParameter, .tagSplit(self)) }
      done = try context.control.splitPoolTag(tag)
    case .merge: done = context.control.mergePoolTag(tag == 0 ? nil : tag)
    }
    let fit = replyDataLimit(context.maxPayload) / Assignment.size
    return (
      .success,
      .tagSplit(
        TagSplit(
          operation: operation, tag: tag,
          assignments: done.prefix(fit).map { Assignment(tag: $0.tag, subTag: $0.subTag, callSite: $0.callSite) }))
    )
  }
}
