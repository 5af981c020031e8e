import Testing

@testable import KDKernel

@Suite struct EraTests {
  /// XP: no tracking table and no PoolHitTag until NtGlobalFlag has 0x400 (+ptg) and the target reboots.
  @Test func xpTaggingNeedsGlobalFlagAndReboot() throws {
    let h = try Harness(era: .xp)
    try h.writeU32(try h.nt("PoolHitTag"), PoolHitTagTests.abc)
    let e = try h.run(seconds: 5)
    #expect(e.reason == .timeLimit)  // no PoolHitTag break although Abc allocates all the time
    #expect(try h.readU32(try h.nt("PoolTrackTable")) == 0)
    #expect(try h.trackTable().isEmpty)

    // gflags +ptg takes effect only at the next boot.
    try h.writeU32(try h.nt("NtGlobalFlag"), 0x400)
    try h.writeU32(try h.nt("PoolHitTag"), 0xffff_ff0f)
    #expect(try h.run(seconds: 2).reason == .timeLimit)
    #expect(try h.readU32(try h.nt("PoolTrackTable")) == 0)

    let before = h.haltCount
    try h.kernel.sync { c throws(KernelError) in
      try c.reboot()
      c.haltAt(virtualTime: c.virtualTime + 50_000_000)
    }
    #expect(try h.waitForHalt(after: before).reason == .timeLimit)
    #expect(try h.readU32(try h.nt("NtGlobalFlag")) == 0x400)
    #expect(try h.readU32(try h.nt("PoolTrackTable")) != 0)
    #expect(try h.trackTable()["Abc "] != nil)
    try h.writeU32(try h.nt("PoolHitTag"), PoolHitTagTests.abc)
    #expect(try h.run().reason == .hardcoded)
  }
}
