import KDKernel
import KDProtocol

extension GetScenarioLeaks: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let fit = replyDataLimit(context.maxPayload) / Leak.size
    let leaks = context.control.scenarioLeaks().prefix(fit).map {
      Leak(
        function: $0.address, tag: $0.tag, referenced: $0.referenced,
        milliBlocksPerSecond: UInt64(clamping: Int64(($0.blocksPerSecond * 1000).rounded())),
        milliBytesPerSecond: UInt64(clamping: Int64(($0.bytesPerSecond * 1000).rounded())))
    }
    return (.success, .getScenarioLeaks(GetScenarioLeaks(leaks: Array(leaks))))
  }
}
