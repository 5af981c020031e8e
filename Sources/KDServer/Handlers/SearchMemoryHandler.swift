import KDKernel
import KDProtocol

extension SearchMemory: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let start = narrowAddress(address), !pattern.isEmpty else {
      return (.invalidParameter, .searchMemory(self))
    }
    let length = UInt32(min(length, 0x1_0000_0000 - UInt64(start)))
    guard let found = context.control.searchVirtual(from: start, length: length, pattern: pattern) else {
      return (.noMoreEntries, .searchMemory(SearchMemory(address: address, length: self.length, pattern: [])))
    }
    return (.success, .searchMemory(SearchMemory(address: UInt64(found), length: self.length, pattern: [])))
  }
}
