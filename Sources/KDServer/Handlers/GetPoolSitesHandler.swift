import KDKernel
import KDProtocol

extension GetPoolSites: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let report = context.control.poolSites()
    let times = Array(report.sampleTimes.suffix(Limits.maxPoolSiteSamples))
    var room = replyDataLimit(context.maxPayload) - 8 * times.count
    var page: [PoolSiteEntry] = []
    for site in report.sites.dropFirst(Int(startIndex)) where page.count < Int(maxEntries) {
      let entry = PoolSiteEntry(
        callSite: site.callSite, tag: site.tag, subTag: site.subTag, outstandingBlocks: site.outstandingBlocks,
        outstandingBytes: site.outstandingBytes, allocations: site.allocations, frees: site.frees,
        frames: Array(site.frames.prefix(Limits.maxPoolSiteFrames)), history: Array(site.history.suffix(times.count)))
      guard entry.encodedSize <= room else { break }
      room -= entry.encodedSize
      page.append(entry)
    }
    return (
      listingStatus(startIndex: startIndex, totalCount: report.sites.count),
      .getPoolSites(
        GetPoolSites(
          startIndex: startIndex, maxEntries: maxEntries, totalCount: UInt32(clamping: report.sites.count),
          virtualTime: report.virtualTime, sampleInterval: report.sampleInterval, sampleTimes: times, sites: page))
    )
  }
}
