import KDKernel
import KDProtocol

extension SearchMemory: SlicedRequestHandler {
  static var mutates: Bool { false }
  /// Mapped bytes scanned per turn on the kernel thread (well under a millisecond): the target runs between turns.
  static let bytesPerStep = 64 << 10

  func step(_ context: RequestContext, from cursor: UInt64?) throws(KernelError) -> SliceStep {
    guard let start = narrowAddress(address), !pattern.isEmpty else {
      return .done(.invalidParameter, .searchMemory(self))
    }
    // The kernel clips the range at the top of the address space: any length is a valid request.
    let end = KernelControl.searchEnd(from: start, length: length)
    guard length >= pattern.count else { return notFound }
    switch context.control.searchVirtual(
      from: cursor ?? UInt64(start), end: end, pattern: pattern, budget: Self.bytesPerStep)
    {
    case .found(let found):
      return .done(.success, .searchMemory(SearchMemory(address: UInt64(found), length: length, pattern: [])))
    case .notFound: return notFound
    case .resume(let next): return .more(next)
    }
  }

  private var notFound: SliceStep {
    .done(.noMoreEntries, .searchMemory(SearchMemory(address: address, length: length, pattern: [])))
  }
}
