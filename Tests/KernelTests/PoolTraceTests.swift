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

  /// The `bench` scenario's pool loop is the only runnable thread, so its slices renew themselves at each service
  /// call: before the trace asked for a handover once half its ring waited, one slice logged past the ring's
  /// 65536 events and the oldest were dropped (23% to 48% in the bench's section 3c).
  @Test func aBusyThreadsTraceIsHandedOverBeforeTheRingWraps() throws {
    let h = try Harness("bench")
    try h.run(seconds: 1)
    try h.writeU32(try h.symbol("Bnch", "BnchMode").address, 2)  // the pool loop
    _ = try h.kernel.sync { c in c.startPoolTrace(PoolTraceFilter()) }
    try h.run(seconds: 20)
    let stopped = try h.kernel.sync { c in c.stopPoolTrace() }
    try #require(stopped.logged > UInt64(PoolTraceRing.capacity), "logged \(stopped.logged): too few to wrap the ring")
    #expect(stopped.dropped == 0)
    let events = h.tracedEvents()
    #expect(UInt64(events.count) == stopped.logged)
    #expect(events.enumerated().allSatisfy { UInt64($0.offset) == $0.element.sequence })
  }

  /// Requests one after another while the pool loop runs: the kernel thread pays back the target's share after
  /// each (a slice runs its budget first), and that slice, its thread the only runnable one, renewed its budget
  /// until a request set its attention again; the one already waiting never did (the bench hung here).
  @Test func requestsInARowWhileABusyThreadRunsAreServed() throws {
    let h = try Harness("bench")
    try h.run(seconds: 1)
    let count = try h.symbol("Bnch", "BnchCount").address
    try h.writeU32(try h.symbol("Bnch", "BnchMode").address, 2)
    try h.kernel.sync { c throws(KernelError) in
      c.haltAt(virtualTime: nil)
      try c.resume(singleStep: false)
    }
    var counts: [UInt32] = []
    for _ in 0..<50 { counts.append(try h.readU32(count)) }
    #expect(counts.count == 50)
    #expect(counts.last ?? 0 > counts.first ?? 0, "the loop ran between the reads")
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
