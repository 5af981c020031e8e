/// Outstanding pool blocks per allocating call site (ours: `!poolsites`, `!tagsplit`): for each (call site, tag)
/// the blocks and bytes outstanding, the first stack seen from it, and its outstanding count sampled every
/// ``sampleInterval`` of virtual time, so a client can tell a site that grows in every window from one that
/// stays bounded. Host-side bookkeeping (Windows keeps nothing like it; Driver Verifier keeps the caller per
/// block for verified drivers only).
///
/// Bounded: at most ``capacity`` sites; further (call site, tag) pairs are counted under their tag's overflow
/// site (call site 0, no frames), which also holds nt's own allocations (KTHREADs, driver objects). The block
/// map holds one entry per outstanding block, which the pools bound.
final class PoolSiteTable {
  struct Site {
    /// The return address into the allocating driver (nt's wrappers skipped); 0 for the overflow site.
    let callSite: UInt32
    /// The tag the caller passed, protected bit stripped (the original tag, also when split).
    let tag: UInt32
    /// The return addresses of the first allocation seen from this site, the call site first.
    let frames: [UInt32]
    var blocks: UInt32 = 0
    var bytes: UInt64 = 0
    var allocations: UInt64 = 0
    var frees: UInt64 = 0
    /// The sub-tag `!tagsplit` gave this site (0: none).
    var subTag: UInt32 = 0
    /// `blocks` at each of the table's samples, oldest first (aligned with ``PoolSiteTable/sampleTimes``).
    var history: [UInt32] = []
  }

  static let capacity = 4096
  static let maxFrames = 16
  /// Samples kept: enough for 15 windows.
  static let maxSamples = 16
  /// 5 s of virtual time (100 ns units).
  static let sampleInterval: UInt64 = 50_000_000

  private(set) var sites: [Site] = []
  private var index: [UInt64: Int32] = [:]
  /// Outstanding block address -> its site.
  private var live: [UInt32: Int32] = [:]
  private(set) var sampleTimes: [UInt64] = []
  private var nextSample: UInt64 = 0

  private static func key(_ callSite: UInt32, _ tag: UInt32) -> UInt64 { UInt64(callSite) << 32 | UInt64(tag) }

  /// The site of an allocation from `callSite` with `tag` (created on first use; `frames` is only evaluated
  /// then).
  func site(callSite: UInt32, tag: UInt32, frames: () -> [UInt32]) -> Int32 {
    if let i = index[Self.key(callSite, tag)] { return i }
    let full = sites.count >= Self.capacity && callSite != 0
    let site = full ? 0 : callSite
    if full, let i = index[Self.key(0, tag)] { return i }
    let i = Int32(sites.count)
    sites.append(
      Site(
        callSite: site, tag: tag, frames: site == 0 ? [] : Array(frames().prefix(Self.maxFrames)),
        history: Array(repeating: 0, count: sampleTimes.count)))
    index[Self.key(site, tag)] = i
    return i
  }

  func recordAllocation(site i: Int32, address: UInt32, bytes: UInt32) {
    live[address] = i
    sites[Int(i)].blocks &+= 1
    sites[Int(i)].bytes &+= UInt64(bytes)
    sites[Int(i)].allocations &+= 1
  }

  /// Counts the free of the block at `address` against its site; returns that site (nil for a block the table
  /// never saw).
  @discardableResult
  func recordFree(address: UInt32, bytes: UInt32) -> Int32? {
    guard let i = live.removeValue(forKey: address) else { return nil }
    sites[Int(i)].blocks &-= 1
    sites[Int(i)].bytes &-= UInt64(bytes)
    sites[Int(i)].frees &+= 1
    return i
  }

  /// The site of the outstanding block at `address`.
  func site(ofBlock address: UInt32) -> Int32? { live[address] }

  /// The outstanding blocks of site `i`'s tag, with their sites.
  func liveBlocks(where include: (Site) -> Bool) -> [(address: UInt32, site: Int32)] {
    live.filter { include(sites[Int($0.value)]) }.map { ($0.key, $0.value) }
  }

  func setSubTag(_ subTag: UInt32, site i: Int32) { sites[Int(i)].subTag = subTag }

  /// Takes a sample when virtual time has reached the next 5 s boundary (called on every pool call).
  @inline(__always)
  func sampleIfDue(now: UInt64) {
    guard now >= nextSample else { return }
    nextSample = (now / Self.sampleInterval + 1) * Self.sampleInterval
    let drop = sampleTimes.count >= Self.maxSamples
    if drop { sampleTimes.removeFirst() }
    sampleTimes.append(now)
    for i in sites.indices {
      if drop { sites[i].history.removeFirst() }
      sites[i].history.append(sites[i].blocks)
    }
  }
}
