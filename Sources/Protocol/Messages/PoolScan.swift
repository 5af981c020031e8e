/// PoolScanApi (0x3190, new): a kmemleak-style reachability scan of the pools with the target halted (ours;
/// `!poolscan`), per allocating call site: the outstanding blocks found in the pools and how many no pointer
/// reaches ("lost"). Each request scans afresh; a listing of several pages is consistent while nothing writes
/// memory between them.
///
/// u: `StartIndex u32 @16, MaxEntries u32 @20, TotalCount u32 @24` (out), `ReturnedCount u32 @28` (out),
/// `Blocks u32 @32` (out: in-use blocks found), `LostBlocks u32 @36` (out), `Threads u32 @40` (out: threads whose
/// registers and stack were scanned), `reserved u32 @44`, `VirtualTime u64 @48` (out).
/// Request data: none. Reply data: `Bytes u64, LostBytes u64, RootBytes u64` (block bytes, header included; bytes
/// of roots scanned), then ReturnedCount × ``PoolScanEntry``.
public struct PoolScan: ManipulateBody {
  public static let api = ApiNumber.poolScan
  public static let totalsSize = 24
  public var startIndex: UInt32
  public var maxEntries: UInt32
  public var totalCount: UInt32
  public var blocks: UInt32
  public var lostBlocks: UInt32
  public var threads: UInt32
  public var virtualTime: UInt64
  public var bytes: UInt64
  public var lostBytes: UInt64
  public var rootBytes: UInt64
  public var sites: [PoolScanEntry]
  /// Whether the data carries the totals (a reply) or nothing (a request).
  public var isReply: Bool

  /// A request.
  public init(startIndex: UInt32 = 0, maxEntries: UInt32) {
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    totalCount = 0
    blocks = 0
    lostBlocks = 0
    threads = 0
    virtualTime = 0
    bytes = 0
    lostBytes = 0
    rootBytes = 0
    sites = []
    isReply = false
  }

  /// A reply.
  public init(
    startIndex: UInt32, maxEntries: UInt32, totalCount: UInt32, blocks: UInt32, lostBlocks: UInt32, threads: UInt32,
    virtualTime: UInt64, bytes: UInt64, lostBytes: UInt64, rootBytes: UInt64, sites: [PoolScanEntry]
  ) {
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    self.totalCount = totalCount
    self.blocks = blocks
    self.lostBlocks = lostBlocks
    self.threads = threads
    self.virtualTime = virtualTime
    self.bytes = bytes
    self.lostBytes = lostBytes
    self.rootBytes = rootBytes
    self.sites = sites
    isReply = true
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    startIndex = try u.u32()
    maxEntries = try u.u32()
    totalCount = try u.u32()
    let returnedAt = u.absoluteOffset
    let returned = Int(try u.u32())
    blocks = try u.u32()
    lostBlocks = try u.u32()
    threads = try u.u32()
    try u.reserved32()
    virtualTime = try u.u64()
    try u.reserved(u.remaining)
    if returned > Int(maxEntries) {
      throw .lengthMismatch(field: "ReturnedCount", expected: Int(maxEntries), found: returned, offset: returnedAt)
    }
    var d = d
    isReply = d.remaining > 0
    if isReply {
      bytes = try d.u64()
      lostBytes = try d.u64()
      rootBytes = try d.u64()
    } else {
      (bytes, lostBytes, rootBytes) = (0, 0, 0)
    }
    sites = []
    for _ in 0..<returned { sites.append(try PoolScanEntry(from: &d)) }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(startIndex)
    u.u32(maxEntries)
    u.u32(totalCount)
    u.u32(UInt32(sites.count))
    u.u32(blocks)
    u.u32(lostBlocks)
    u.u32(threads)
    u.u32(0)
    u.u64(virtualTime)
    guard isReply else { return }
    d.u64(bytes)
    d.u64(lostBytes)
    d.u64(rootBytes)
    for s in sites { s.encode(into: &d) }
  }
}
