import Testing

@testable import KDKernel

/// The reachability scan (ours, `!poolscan`) on real emulated drivers, against the scenarios' ground truth.
@Suite struct PoolScanTests {
  /// The outstanding blocks the site table attributes to the call site inside `function` of `module`.
  static func blocks(_ h: Harness, _ module: String, _ function: String) throws -> Set<UInt32> {
    let start = try h.symbol(module, function).address
    return try h.kernel.sync { c in
      let table = c.kernel.currentMachine.pools.sites
      let next = c.symbols(moduleBase: c.modules().first { $0.name == module }!.base)!.first { $0.address > start }
      return Set(
        table.liveBlocks { $0.callSite > start && $0.callSite < (next?.address ?? .max) }.map(\.address))
    }
  }

  static func scan(_ h: Harness) throws -> PoolScanReport {
    try h.kernel.sync { c throws(KernelError) in try c.poolScan() }
  }

  @Test func lostBlocksAreExactlyTheTwoLeakingSitesBlocks() throws {
    let h = try Harness("leakSites")
    try h.run(seconds: 40)
    let report = try Self.scan(h)
    let lost = Set(report.sites.flatMap(\.lostAddresses))
    let queue = try Self.blocks(h, "Pkt", "PktQueueRequest")
    let session = try Self.blocks(h, "Pkt", "PktTrackSession")
    #expect(queue.count >= 150 && session.count >= 38)
    #expect(lost == queue.union(session))
    #expect(report.lostBlocks == UInt32(lost.count))
  }

  @Test func aGrowingListStaysReferencedWhileTheDroppedBlocksAreLost() throws {
    let h = try Harness("leakList")
    try h.run(seconds: 30)
    let report = try Self.scan(h)
    let lost = Set(report.sites.flatMap(\.lostAddresses))
    let list = try Self.blocks(h, "Lst", "ListAppend")
    let dropped = try Self.blocks(h, "Lst", "ListDrop")
    #expect(list.count >= 58 && dropped.count >= 28)
    #expect(lost == dropped)
    #expect(lost.isDisjoint(with: list))
  }

  @Test func theDefaultScenariosLogIsReferencedFromItsHead() throws {
    let h = try Harness()
    try h.run(seconds: 20)
    let report = try Self.scan(h)
    let log = try Self.blocks(h, "Abc", "AbcLogEvent")
    #expect(log.count >= 400)
    #expect(report.lostBlocks == 0, "\(report.sites.filter { $0.lostBlocks > 0 })")
  }

  /// kmemleak's grey list: cutting the list makes its older part lost, each node of it referenced only from a
  /// lost node.
  @Test func aBlockReferencedOnlyFromALostBlockIsLost() throws {
    let h = try Harness("leakList")
    try h.run(seconds: 20)
    let head = try h.symbol("Lst", "ListHead").address
    var nodes: [UInt32] = []
    var p = try h.readU32(head)
    while p != 0, nodes.count < 10_000 {
      nodes.append(p)
      p = try h.readU32(p)
    }
    #expect(nodes.count == (try Self.blocks(h, "Lst", "ListAppend")).count)
    _ = try h.kernel.sync { c in c.writeVirtual(nodes[9], [0, 0, 0, 0]) }
    let lost = Set(try Self.scan(h).sites.flatMap(\.lostAddresses))
    #expect(lost == Set(nodes.dropFirst(10)).union(try Self.blocks(h, "Lst", "ListDrop")))
  }

  /// A register holding an address in a block's body, at its start or inside it, keeps it referenced; one holding
  /// its POOL_HEADER's address does not.
  @Test func registersCountAndInteriorPointersCountButHeadersDoNot() throws {
    let h = try Harness("leakList")
    try h.run(seconds: 10)
    let dropped = try #require(Self.blocks(h, "Lst", "ListDrop").sorted().first)
    let thread = try h.kernel.sync { c in c.threads().first { $0.state == .waiting }!.kthread }
    for (value, lost) in [(dropped, false), (dropped + 20, false), (dropped - 8, true)] {
      try h.kernel.sync { c throws(KernelError) in
        var context = try c.context(thread: thread)
        context.esi = value
        try c.setContext(context, thread: thread)
      }
      let report = try Self.scan(h)
      #expect(report.sites.flatMap(\.lostAddresses).contains(dropped) == lost, "esi = \(value)")
    }
  }
}
