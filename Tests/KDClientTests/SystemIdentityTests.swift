import Testing

@testable import KDClient

/// The banner's `Product:`/`Built by:` lines and the uptime, read from the target's KUSER_SHARED_DATA and
/// nt!NtBuildLab (here a fixture that has them).
@Suite struct SystemIdentityTests {
  static func target() -> MemoryTarget {
    let t = XPImage.make()
    t.mapZeroed(SystemIdentity.sharedUserData, pages: 1)
    t.putU32(SystemIdentity.sharedUserData + 0x264, 3)  // NtProductServer
    t.putU32(SystemIdentity.sharedUserData + 0x268, 1)  // ProductTypeIsValid
    t.putU32(SystemIdentity.sharedUserData + 0x2d0, 0x112)
    // InterruptTime: 1 day, 2 h 3 min 4.567 s in 100 ns units.
    let ticks: UInt64 = ((((1 * 24 + 2) * 60 + 3) * 60 + 4) * 1000 + 567) * 10_000
    t.putU32(SystemIdentity.sharedUserData + 8, UInt32(truncatingIfNeeded: ticks))
    t.putU32(SystemIdentity.sharedUserData + 12, UInt32(ticks >> 32))
    t.putU32(SystemIdentity.sharedUserData + 16, UInt32(ticks >> 32))
    t.map(XPImage.data + 0x200, Array("3790.srv03_sp2_rtm.070216-1710".utf8) + [0])
    t.moduleSymbols[XPImage.ntBase, default: []].append(
      SymbolRecord(name: "NtBuildLab", address: XPImage.data + 0x200, size: 0x40))
    return t
  }

  @Test func vertargetPrintsProductBuildLabAndUptimeFromTheTarget() {
    let lines = kd(Debugger(target: Self.target()), "vertarget")
    #expect(
      Array(lines.prefix(5)) == [
        "Windows XP Kernel Version 2600 UP Free x86 compatible",
        "Product: Server, suite: Enterprise TerminalServer SingleUserTS",
        "Built by: 3790.srv03_sp2_rtm.070216-1710",
        "Machine Name:",
        "Kernel base = 0x804d7000 PsLoadedModuleList = 0x80550030",
      ])
    #expect(lines.last == "System Uptime: 1 days 2:03:04.567")
    #expect(kd(Debugger(target: Self.target()), ".time").last == "System Uptime: 1 days 2:03:04.567")
  }

  @Test func aTornInterruptTimeOrMissingFieldsAreNotInvented() throws {
    let t = Self.target()
    t.putU32(SystemIdentity.sharedUserData + 16, 7)  // High2Time differs from High1Time: a torn read
    t.putU32(SystemIdentity.sharedUserData + 0x268, 0)  // product type not valid
    let id = SystemIdentity.read(from: t, version: try t.version())
    #expect(id.interruptTime == nil && id.productLine == nil)
    #expect(id.uptimeLine == "System Uptime: not available")
    #expect(id.builtByLine == "Built by: 3790.srv03_sp2_rtm.070216-1710")
    #expect(
      SystemIdentity(productType: 1, suiteMask: 0x110).productLine
        == "Product: WinNt, suite: TerminalServer SingleUserTS")
  }
}
