import KDKernel
import KDProtocol

extension SearchMemory: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let start = narrowAddress(address), !pattern.isEmpty else {
      return (.invalidParameter, .searchMemory(self))
    }
    // The kernel clips the range at the top of the address space: any length is a valid request.
    guard let found = context.control.searchVirtual(from: start, length: length, pattern: pattern) else {
      return (.noMoreEntries, .searchMemory(SearchMemory(address: address, length: self.length, pattern: [])))
    }
    return (.success, .searchMemory(SearchMemory(address: UInt64(found), length: self.length, pattern: [])))
  }
}
