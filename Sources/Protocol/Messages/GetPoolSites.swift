/// GetPoolSitesApi (0x3177, new): outstanding pool blocks and bytes per allocating call site, a page at a time,
/// with each site's outstanding count at the server's periodic samples (ours; `!poolsites`).
///
/// u: `StartIndex u32 @16, MaxEntries u32 @20, TotalCount u32 @24` (out), `ReturnedCount u32 @28` (out),
/// `SampleCount u32 @32` (out, at most ``Limits/maxPoolSiteSamples``), `reserved u32 @36`,
/// `VirtualTime u64 @40` (out: the target's virtual time, 100 ns units), `SampleInterval u64 @48` (out).
/// Reply data: SampleCount × u64 sample times (100 ns units, oldest first), then ReturnedCount × ``PoolSiteEntry``.
public struct GetPoolSites: ManipulateBody {
  public static let api = ApiNumber.getPoolSites
  public var startIndex: UInt32
  public var maxEntries: UInt32
  public var totalCount: UInt32
  public var virtualTime: UInt64
  public var sampleInterval: UInt64
  public var sampleTimes: [UInt64]
  public var sites: [PoolSiteEntry]

  public init(
    startIndex: UInt32 = 0, maxEntries: UInt32, totalCount: UInt32 = 0, virtualTime: UInt64 = 0,
    sampleInterval: UInt64 = 0, sampleTimes: [UInt64] = [], sites: [PoolSiteEntry] = []
  ) {
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    self.totalCount = totalCount
    self.virtualTime = virtualTime
    self.sampleInterval = sampleInterval
    self.sampleTimes = sampleTimes
    self.sites = sites
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    startIndex = try u.u32()
    maxEntries = try u.u32()
    totalCount = try u.u32()
    let returnedAt = u.absoluteOffset
    let returned = Int(try u.u32())
    let samplesAt = u.absoluteOffset
    let samples = Int(try u.u32())
    try u.reserved32()
    virtualTime = try u.u64()
    sampleInterval = try u.u64()
    try u.reserved(u.remaining)
    if returned > Int(maxEntries) {
      throw .lengthMismatch(field: "ReturnedCount", expected: Int(maxEntries), found: returned, offset: returnedAt)
    }
    if samples > Limits.maxPoolSiteSamples {
      throw .invalidValue(field: "SampleCount", found: UInt64(samples), offset: samplesAt)
    }
    var d = d
    try d.require(8 * samples)
    sampleTimes = []
    for _ in 0..<samples { sampleTimes.append(try d.u64()) }
    sites = []
    for _ in 0..<returned { sites.append(try PoolSiteEntry(from: &d, samples: samples)) }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(startIndex)
    u.u32(maxEntries)
    u.u32(totalCount)
    u.u32(UInt32(sites.count))
    u.u32(UInt32(sampleTimes.count))
    u.u32(0)
    u.u64(virtualTime)
    u.u64(sampleInterval)
    for t in sampleTimes { d.u64(t) }
    for s in sites { s.encode(into: &d) }
  }
}
