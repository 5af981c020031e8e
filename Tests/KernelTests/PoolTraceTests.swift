import Testing

@testable import KDKernel

/// Tag tracepoints (ours, `!pooltrace`) in the kernel: logged without halting, handed to the host after each
/// slice, complete against nt!PoolTrackTable's own counts.
@Suite struct PoolTraceTests {
  @Test func tracingAbcLogsEveryAllocationAndFreeTheTableCounts() throws {
    let h = try Harness()
    try h.run(seconds: 30)
    let before = try #require(try h.trackTable()["Abc "])
    let started = try h.kernel.sync { c in c.startPoolTrace(PoolTraceFilter(tag: tagValue("Abc "))) }
    #expect(started.active && started.logged == 0)
    try h.run(seconds: 20)
    let stopped = try h.kernel.sync { c in c.stopPoolTrace() }
    let after = try #require(try h.trackTable()["Abc "])
    let events = h.tracedEvents()
    #expect(!stopped.active && stopped.dropped == 0)
    #expect(UInt64(events.count) == stopped.logged)
    #expect(events.map(\.sequence) == Array(0..<UInt64(events.count)))
    #expect(events.filter { $0.kind == .allocation }.count == Int(after[3] - before[3]))
    #expect(events.filter { $0.kind == .free }.count == Int(after[4] - before[4]))
    // Paired per address: an allocation never lands on a live block, a free ends the block allocated there.
    var live = Set<UInt32>()
    var seen = Set<UInt32>()
    for e in events {
      if e.kind == .allocation {
        #expect(live.insert(e.address).inserted)
        seen.insert(e.address)
      } else {
        #expect(live.remove(e.address) != nil || !seen.contains(e.address))
      }
      #expect(tagString(e.tag) == "Abc " && e.paged)
    }
    // Each allocation's stack starts at its call site in Abc.
    let abc = try h.symbol("Abc", "DriverEntry")
    #expect(events.filter { $0.kind == .allocation }.allSatisfy { ($0.frames.first ?? 0) >> 16 == abc.address >> 16 })
    // Nothing more once stopped.
    try h.run(seconds: 5)
    #expect(h.tracedEvents().count == events.count)
  }

  @Test func aLimitStopsTheTraceByItself() throws {
    let h = try Harness()
    try h.run(seconds: 10)
    _ = try h.kernel.sync { c in c.startPoolTrace(PoolTraceFilter(allocations: true, frees: false, limit: 50)) }
    try h.run(seconds: 10)
    let status = try h.kernel.sync { c in c.poolTraceStatus() }
    #expect(!status.active && status.logged == 50)
    let events = h.tracedEvents()
    #expect(events.count == 50 && events.allSatisfy { $0.kind == .allocation })
    #expect(Set(events.map(\.tag)).count > 1)
  }
}
