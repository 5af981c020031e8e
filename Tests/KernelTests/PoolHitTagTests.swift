import Testing

@testable import KDKernel

@Suite struct PoolHitTagTests {
  static let abc: UInt32 = 0x2063_6241  // ' cbA' as `ed` stores it

  @Test func poolHitTagStartsDisarmed() throws {
    let h = try Harness()
    #expect(try h.read(try h.nt("PoolHitTag"), 4) == [0x0f, 0xff, 0xff, 0xff])
  }

  /// `ed nt!poolhittag ' cbA'` + `g`: a real int 3 inside nt!ExAllocatePoolWithTag, whose frame has the
  /// (PoolType, NumberOfBytes, Tag) args and returns into one of Abc's three call sites.
  @Test func allocationBreakIsInsideTheAllocatorWithAbcCallSiteOnTheStack() throws {
    let h = try Harness()
    try h.run(seconds: 1)
    try h.writeU32(try h.nt("PoolHitTag"), Self.abc)
    let alloc = try h.symbol("nt", "ExAllocatePoolWithTag")
    let free = try h.symbol("nt", "ExFreePoolWithTag")
    let sites = try ["AbcBuildRequest", "AbcCacheInsert", "AbcLogEvent"].map { try h.symbol("Abc", $0) }
    var seenSites = Set<String>()
    var sawFree = false
    for _ in 0..<40 {
      let e = try h.run()
      #expect(e.reason == .hardcoded)
      #expect(e.exceptionCode == 0x8000_0003)
      #expect(try h.read(e.pc, 1) == [0xcc])
      let frame0 = try #require(e.stack.first)
      if e.pc >= alloc.address && e.pc < alloc.address + alloc.size {
        #expect(frame0.args.count == 4 && frame0.args[0] == 1 && frame0.args[2] == Self.abc)
        let caller = frame0.returnAddress
        let site = try #require(sites.first { caller >= $0.address && caller < $0.address + $0.size })
        seenSites.insert(site.name)
        // The call site pushes the tag immediate: 68 41 62 63 20.
        let code = try h.read(site.address, Int(caller - site.address))
        #expect(code.windowsContains([0x68, 0x41, 0x62, 0x63, 0x20]))
      } else {
        #expect(e.pc >= free.address && e.pc < free.address + free.size)
        #expect(frame0.args.count >= 2)
        // The free path compares the block's own tag: the block's header says 'Abc '.
        let header = try h.read(frame0.args[0] - 4, 4)
        #expect(header == Array("Abc ".utf8))
        sawFree = true
      }
    }
    #expect(seenSites.count >= 2)
    #expect(sawFree)
  }

  /// Patching the leaking call site's tag immediate changes the tag later allocations carry.
  @Test func patchingTheTagImmediateRetagsLaterAllocations() throws {
    let h = try Harness()
    try h.run(seconds: 10)
    let site = try h.symbol("Abc", "AbcLogEvent")
    let at = try #require(
      try h.kernel.sync { c in
        c.searchVirtual(from: site.address, length: UInt64(site.size), pattern: Array("Abc ".utf8))
      })
    _ = try h.kernel.sync { c in c.writeVirtual(at, Array("Abc3".utf8)) }
    #expect(try h.read(at - 1, 5) == [0x68] + Array("Abc3".utf8))
    let before = try h.trackTable()["Abc "]!
    try h.run(seconds: 20)
    let after = try h.trackTable()
    let abc3 = try #require(after["Abc3"])
    #expect(abc3[3] > 400)  // ~25 a second
    #expect(abc3[4] == 0)  // the leaking site: never freed
    // 'Abc ' from the other two sites stays flat in outstanding count.
    let abc = after["Abc "]!
    #expect(abc[3] - abc[4] <= before[3] - before[4] + 5)
  }
}

extension Array where Element == UInt8 {
  func windowsContains(_ pattern: [UInt8]) -> Bool {
    guard count >= pattern.count else { return false }
    return (0...(count - pattern.count)).contains { Array(self[$0..<$0 + pattern.count]) == pattern }
  }
}
