import KDKernel
import KDProtocol

extension QueryMemory: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let target = narrowAddress(address), let region = context.control.queryRegion(target) else {
      return (.accessViolation, .queryMemory(QueryMemory(address: address)))
    }
    let kind: QueryMemory.Kind =
      switch region.kind {
      case .image: .image
      case .nonPagedPool: .nonPagedPool
      case .pagedPool: .pagedPool
      case .stack: .stack
      case .kernelData, .processorControlRegion: .kernelData
      }
    let protection: UInt32 = 1 | (region.writable ? 2 : 0) | (region.executable ? 4 : 0)
    return (
      .success,
      .queryMemory(
        QueryMemory(
          address: address, regionBase: UInt64(region.base), regionSize: UInt64(region.size), protection: protection,
          kind: kind))
    )
  }
}
