import Testing

@testable import KDKernel

/// KUSER_SHARED_DATA at 0xffdf0000 and nt!NtBuildLab: what a debugger reads for its banner's product and build lab
/// lines and for the uptime (InterruptTime is the kernel's virtual time since boot, current at every halt).
@Suite struct SharedUserDataTests {
  @Test(arguments: [KernelEra.server2003, .xp])
  func productAndUptimeAreInTargetMemory(era: KernelEra) throws {
    let h = try Harness(era: era)
    let e = try h.run(seconds: 1.5)
    let shared = SharedUserData.address
    let interrupt = UInt64(try h.readU32(shared + 12)) << 32 | UInt64(try h.readU32(shared + 8))
    #expect(interrupt == e.virtualTime)
    #expect(try h.readU32(shared + 16) == h.readU32(shared + 12))
    #expect(try h.readU32(shared + 0x264) == (era == .xp ? 1 : 3))
    #expect(try h.readU32(shared + 0x2d0) == (era == .xp ? 0x110 : 0x112))
    #expect(try h.readU32(shared + 0x26c) == 5 && h.readU32(shared + 0x270) == (era == .xp ? 1 : 2))
    let lab = try h.read(h.nt("NtBuildLab"), 0x40).prefix { $0 != 0 }
    #expect(String(decoding: lab, as: UTF8.self) == era.buildLab)
    #expect(era.buildLab.hasPrefix("\(era.buildNumber)."))
  }
}
