import KDKernel
import KDProtocol

extension ListThreads: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let all = context.control.threads()
    let fit = replyDataLimit(context.maxPayload) / ThreadEntry.size
    let page = all.dropFirst(Int(startIndex)).prefix(min(Int(maxEntries), fit)).map { t in
      let state: UInt32 =
        switch t.state {
        case .running: 2
        case .ready, .idle: 1
        case .waiting: 5
        case .terminated: 4
        }
      return ThreadEntry(
        threadId: t.id, kthread: t.kthread, state: state, programCounter: t.pc, startAddress: t.startRoutine,
        stackBase: t.stackBase, stackLimit: t.stackLimit)
    }
    return (
      listingStatus(startIndex: startIndex, totalCount: all.count),
      .listThreads(
        ListThreads(startIndex: startIndex, maxEntries: maxEntries, totalCount: UInt32(all.count), threads: Array(page))
      )
    )
  }
}
