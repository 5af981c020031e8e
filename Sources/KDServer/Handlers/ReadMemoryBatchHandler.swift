import KDKernel
import KDProtocol

extension ReadMemoryBatch: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    var budget = replyDataLimit(context.maxPayload) - ranges.count * 24
    var results: [Result] = []
    for range in ranges {
      let count = max(0, min(Int(range.length), budget))
      guard let address = narrowAddress(range.address), UInt64(address) + UInt64(count) <= 0x1_0000_0000 else {
        results.append(Result(status: .accessViolation, bytes: []))
        continue
      }
      let read = context.control.readVirtual(address, count: count)
      budget -= read.bytes.count
      let status: NTStatus =
        read.bytes.count == Int(range.length) ? .success : read.bytes.isEmpty ? .accessViolation : .partialCopy
      results.append(Result(status: status, bytes: read.bytes))
    }
    let allRead = results.allSatisfy { $0.status == .success }
    return (allRead ? .success : .partialCopy, .readMemoryBatch(ReadMemoryBatch(ranges: ranges, results: results)))
  }
}
