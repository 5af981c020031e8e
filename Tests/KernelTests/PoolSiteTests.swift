import Testing

@testable import KDKernel

/// The kernel's per-call-site count (ours, `!poolsites`) and virtual tag splitting (`!tagsplit`).
@Suite struct PoolSiteTests {
  /// Per tag, what the sites hold outstanding equals what nt!PoolTrackTable counts outstanding (sub-tags counted
  /// under the tag they split).
  static func expectSitesMatchTrackTable(_ h: Harness, _ report: PoolSiteReport) throws {
    var split: [String: String] = [:]
    for s in report.sites where s.subTag != 0 { split[tagString(s.subTag)] = tagString(s.tag) }
    var table: [String: (blocks: UInt32, bytes: UInt64)] = [:]
    for (tag, v) in try h.trackTable() {
      let key = split[tag] ?? tag
      let old = table[key] ?? (0, 0)
      table[key] = (old.blocks + v[0] - v[1] + v[3] - v[4], old.bytes + UInt64(v[2]) + UInt64(v[5]))
    }
    var sites: [String: (blocks: UInt32, bytes: UInt64)] = [:]
    for s in report.sites {
      let old = sites[tagString(s.tag)] ?? (0, 0)
      sites[tagString(s.tag)] = (old.blocks + s.outstandingBlocks, old.bytes + s.outstandingBytes)
    }
    for (tag, v) in table where v.blocks != 0 {
      #expect(sites[tag]?.blocks == v.blocks && sites[tag]?.bytes == v.bytes, "tag \(tag)")
    }
  }

  @Test func defaultScenarioAttributesAbcToItsThreeSitesAndOnlyTheLogGrows() throws {
    let h = try Harness()
    try h.run(seconds: 60)
    let report = try h.kernel.sync { c in c.poolSites() }
    try Self.expectSitesMatchTrackTable(h, report)
    let abc = report.sites.filter { tagString($0.tag) == "Abc " }
    let log = try h.symbol("Abc", "AbcLogEvent").address
    let request = try h.symbol("Abc", "AbcBuildRequest").address
    let cache = try h.symbol("Abc", "AbcCacheInsert").address
    #expect(abc.count == 3)
    func site(_ function: UInt32) throws -> PoolSiteInfo {
      try #require(abc.filter { $0.callSite > function }.min { $0.callSite < $1.callSite })
    }
    #expect(try site(request).callSite < cache && (try site(cache).callSite) < log)
    // Samples every 5 s; the log's count rises at each, the ring and the cache stay at their sizes.
    #expect(report.sampleTimes.count == 12)
    let history = try site(log).history
    #expect(zip(history, history.dropFirst()).allSatisfy { $0 < $1 }, "\(history)")
    #expect(try site(request).history.suffix(4).allSatisfy { $0 == 16 })
    #expect(try site(cache).history.suffix(4).allSatisfy { $0 == 64 })
    // The stack: the call site, the worker that called it, nt's thread start.
    let worker = try h.symbol("Abc", "AbcLogWorker").address
    #expect(try site(log).frames.count == 3 && (try site(log).frames[1]) > worker)
  }

  /// Once the other drivers have filled their working sets (about three virtual minutes), the log is the only
  /// site of the scenario whose count rose at each of the last five samples.
  @Test func afterTheWorkingSetsFillOnlyTheLogGrowsInEveryWindow() throws {
    let h = try Harness()
    try h.run(seconds: 250)
    let report = try h.kernel.sync { c in c.poolSites() }
    let growing = report.sites.filter { s in
      let last = s.history.suffix(5)
      return last.count == 5 && zip(last, last.dropFirst()).allSatisfy { $0 < $1 }
    }
    let log = try h.symbol("Abc", "AbcLogEvent").address
    let worker = try h.symbol("Abc", "AbcLogWorker").address
    #expect(growing.count == 1)
    #expect(growing.first.map { $0.callSite > log && $0.callSite < worker } == true)
  }

  @Test func splitThenMergeLeavesTheTableOfARunThatNeverSplit() throws {
    let split = try Harness()
    let plain = try Harness()
    for h in [split, plain] { try h.run(seconds: 30) }
    let given = try split.kernel.sync { c throws(KernelError) in try c.splitPoolTag(tagValue("Abc ")) }
    #expect(given.map { tagString($0.subTag) } == ["Ab1 ", "Ab2 ", "Ab3 "])
    for h in [split, plain] { try h.run(seconds: 20) }
    let during = try split.trackTable()
    #expect(during["Ab3 "] != nil && during["Ab1 "] != nil)
    try Self.expectSitesMatchTrackTable(split, try split.kernel.sync { c in c.poolSites() })
    let merged = try split.kernel.sync { c in c.mergePoolTag(tagValue("Abc ")) }
    #expect(merged.count == 3)
    #expect(try split.trackTable() == (try plain.trackTable()))
    try Self.expectSitesMatchTrackTable(split, try split.kernel.sync { c in c.poolSites() })
    // Blocks allocated after the merge, and frees of blocks allocated while split, count under Abc again.
    for h in [split, plain] { try h.run(seconds: 10) }
    #expect(try split.trackTable() == (try plain.trackTable()))
  }
}
