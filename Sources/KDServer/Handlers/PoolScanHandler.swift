import KDKernel
import KDProtocol

extension PoolScan: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let report = try context.control.poolScan()
    var room = replyDataLimit(context.maxPayload) - Self.totalsSize
    var page: [PoolScanEntry] = []
    for site in report.sites.dropFirst(Int(startIndex)) where page.count < Int(maxEntries) {
      let entry = PoolScanEntry(
        callSite: site.callSite, tag: site.tag, blocks: site.blocks, lostBlocks: site.lostBlocks, bytes: site.bytes,
        lostBytes: site.lostBytes, lostAddresses: Array(site.lostAddresses.prefix(Limits.maxPoolScanAddresses)))
      guard entry.encodedSize <= room else { break }
      room -= entry.encodedSize
      page.append(entry)
    }
    return (
      listingStatus(startIndex: startIndex, totalCount: report.sites.count),
      .poolScan(
        PoolScan(
          startIndex: startIndex, maxEntries: maxEntries, totalCount: UInt32(clamping: report.sites.count),
          blocks: report.blocks, lostBlocks: report.lostBlocks, threads: report.threads,
          virtualTime: report.virtualTime, bytes: report.bytes, lostBytes: report.lostBytes,
          rootBytes: report.rootBytes, sites: page))
    )
  }
}
