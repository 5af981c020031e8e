import KDKernel
import KDProtocol

extension ListModules: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let all = context.control.modules()
    var budget = replyDataLimit(context.maxPayload)
    var page: [ModuleEntry] = []
    for module in all.dropFirst(Int(startIndex)) where page.count < Int(maxEntries) {
      let entry = ModuleEntry(
        base: module.base, size: module.size, checksum: module.checksum, timestamp: module.timestamp,
        name: module.imageName)
      if entry.encodedSize > budget { break }
      budget -= entry.encodedSize
      page.append(entry)
    }
    return (
      listingStatus(startIndex: startIndex, totalCount: all.count),
      .listModules(
        ListModules(startIndex: startIndex, maxEntries: maxEntries, totalCount: UInt32(all.count), modules: page))
    )
  }
}
