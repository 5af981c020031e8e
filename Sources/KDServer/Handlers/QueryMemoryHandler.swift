import KDKernel
import KDProtocol

extension QueryMemory: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let target = narrowAddress(address) else {
      return (.invalidParameter, .queryMemory(QueryMemory(address: address)))
    }
    guard let region = context.control.queryRegion(target) else {
      // Unmapped: describe the gap, up to the next mapped byte, so a scan can skip it in one step.
      let next = context.control.nextMappedAddress(from: target).map(UInt64.init) ?? 0x1_0000_0000
      return (
        .accessViolation,
        .queryMemory(QueryMemory(address: address, regionBase: address, regionSize: next - address, kind: .unmapped))
      )
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
