import Testing

@testable import KDKernel

/// Driver Verifier's Pool Tracking: settings that take effect at boot, the tracking structures in emulated memory
/// (read back here as a debugger reads them), the pool log, and unloading (0xC4 / 0x62 for a verified driver
/// that leaks).
@Suite struct DriverVerifierTests {
  static let abc = VerifierSetting(driver: "Abc.sys", flags: VerifierSetting.poolTracking)

  /// A verified driver's entry and its in-use pool hash entries, read from emulated memory.
  struct EntryView {
    var entry: UInt32
    var name: String
    var loads: UInt32
    var unloads: UInt32
    var signature: UInt32
    var currentPaged: UInt32
    var currentNonPaged: UInt32
    /// (address, caller, bytes, tag) of each in-use pool hash entry.
    var allocations: [(UInt32, UInt32, UInt32, UInt32)]
  }

  static func entries(_ h: Harness) throws -> [EntryView] {
    let head = try h.nt("MiSuspectDriverList")
    var out: [EntryView] = []
    var link = try h.readU32(head)
    while link != head, link != 0 {
      let e = link
      let nameLength = Int(try h.read(e + 0x10, 2)[0])
      let nameBytes = try h.read(try h.readU32(e + 0x14), nameLength)
      let name = String(decoding: stride(from: 0, to: nameLength, by: 2).map { UInt16(nameBytes[$0]) }, as: UTF16.self)
      let hash = try h.readU32(e + 0x30)
      let used = try h.readU32(e + 0x3c)
      var allocations: [(UInt32, UInt32, UInt32, UInt32)] = []
      for i in 0..<used {
        let a = try h.readU32(hash + 16 * i)
        guard a & 1 == 0 else { continue }
        allocations.append(
          (a, try h.readU32(hash + 16 * i + 4), try h.readU32(hash + 16 * i + 8), try h.readU32(hash + 16 * i + 12)))
      }
      out.append(
        EntryView(
          entry: e, name: name, loads: try h.readU32(e + 8), unloads: try h.readU32(e + 0xc),
          signature: try h.readU32(e + 0x24), currentPaged: try h.readU32(e + 0x40),
          currentNonPaged: try h.readU32(e + 0x44), allocations: allocations))
      link = try h.readU32(e)
    }
    return out
  }

  @Test func poolTrackingRecordsEachOutstandingAllocationWithItsCallerInEmulatedMemory() throws {
    let h = try Harness(verifier: [Self.abc])
    try h.run(seconds: 30)
    #expect(try h.readU32(try h.nt("MmVerifierData")) == 8)  // Level
    let entries = try Self.entries(h)
    #expect(entries.count == 1)
    let abc = try #require(entries.first)
    #expect(abc.name == "Abc.sys" && abc.loads == 1 && abc.unloads == 0 && abc.signature == 0x9876_1940)
    // One in-use entry per outstanding allocation, as many as the counters and as the kernel's own site count.
    #expect(abc.allocations.count == Int(abc.currentPaged + abc.currentNonPaged))
    let sites = try h.kernel.sync { c in c.poolSites() }.sites.filter { tagString($0.tag) == "Abc " }
    #expect(UInt32(abc.allocations.count) == sites.reduce(0) { $0 + $1.outstandingBlocks })
    // Every caller is one of Abc's three allocating call sites, each holding as many as the site table says.
    for site in sites {
      #expect(abc.allocations.filter { $0.1 == site.callSite }.count == Int(site.outstandingBlocks))
    }
    // Each entry is a live block: the pool header before it carries the tag the entry records.
    for (address, _, bytes, tag) in abc.allocations.prefix(50) {
      #expect(tagString(tag) == "Abc " && (64...2000).contains(bytes))
      #expect(try h.readU32(address - 4) & 0x7fff_ffff == tag)
    }
    // The other drivers are not verified: the global counters hold Abc's alone.
    let data = try h.nt("MmVerifierData")
    #expect(try h.readU32(data + 0x40) == abc.currentPaged)
  }

  @Test func settingsTakeEffectAtTheNextBoot() throws {
    let h = try Harness()
    try h.run(seconds: 1)
    #expect(try h.readU32(try h.nt("MmVerifierData")) == 0)
    let stored = try h.kernel.sync { c throws(KernelError) in try c.storeVerifierSettings([Self.abc]) }
    #expect(stored == [Self.abc])
    try h.run(seconds: 1)
    #expect(try Self.entries(h).isEmpty, "not before the reboot")
    #expect(try h.kernel.sync { c in c.verifierSettings() }.active.isEmpty)
    let before = h.haltCount
    try h.kernel.sync { c throws(KernelError) in try c.reboot() }
    try h.kernel.sync { c throws(KernelError) in c.haltAt(virtualTime: c.virtualTime + 10_000_000) }
    _ = try h.waitForHalt(after: before)
    #expect(try h.readU32(try h.nt("MmVerifierData")) == 8)
    #expect(try Self.entries(h).map(\.name) == ["Abc.sys"])
    #expect(try h.kernel.sync { c in c.verifierSettings() }.active == [Self.abc])
    // Reset clears the stored settings; those in effect stay until the next boot.
    try h.kernel.sync { c in c.resetVerifierSettings() }
    let after = try h.kernel.sync { c in c.verifierSettings() }
    #expect(after.stored.isEmpty && after.active == [Self.abc])
  }

  @Test func badSettingsAreRefusedWithTheReason() throws {
    #expect(throws: VerifierSetting.Problem.unsupportedFlags(1)) { try VerifierSetting.parse("Abc.sys:1") }
    #expect(throws: VerifierSetting.Problem.malformed("Abc.sys")) { try VerifierSetting.parse("Abc.sys") }
    #expect(throws: VerifierSetting.Problem.badName("")) { try VerifierSetting.parse(":8") }
    #expect(try VerifierSetting.parse("abc.SYS:0x8") == VerifierSetting(driver: "abc.SYS", flags: 8))
    let h = try Harness()
    #expect(throws: KernelError.self) {
      try h.kernel.sync { c throws(KernelError) in try c.storeVerifierSettings([.init(driver: "A b", flags: 8)]) }
    }
    #expect(throws: KernelError.unknownModule("Nope.sys")) {
      try h.kernel.sync { c throws(KernelError) in try c.unloadDriver("Nope.sys") }
    }
  }

  @Test func unloadingAVerifiedDriverWithOutstandingAllocationsBugChecksC4With62() throws {
    let h = try Harness(verifier: [Self.abc])
    try h.run(seconds: 20)
    _ = try h.kernel.sync { c throws(KernelError) in try c.unloadDriver("Abc.sys") }
    let event = try h.run()
    guard case .bugCheck(let code, let p) = event.reason else {
      Issue.record("expected a bug check, got \(event.reason)")
      return
    }
    let abc = try #require(try Self.entries(h).first)
    #expect(code == 0xC4 && p[0] == 0x62 && p[1] == abc.entry + 0x10 && p[2] == abc.entry)
    // AbcUnload gave the requests and the cache back: what is left is the event log, all from AbcLogEvent.
    let logEvent = try h.symbol("Abc", "AbcLogEvent")
    #expect(p[3] == UInt32(abc.allocations.count) && p[3] > 0)
    #expect(abc.allocations.allSatisfy { $0.1 > logEvent.address && $0.1 < logEvent.address + logEvent.size })
    // KiBugCheckData holds the same, and the stack is nt's unload path.
    #expect(try h.readU32(try h.nt("KiBugCheckData")) == 0xC4)
    let unload = try h.nt("IopUnloadDriver")
    #expect(event.stack.contains { $0.returnAddress > unload && $0.returnAddress < unload + 0x40 })
    // The driver is still loaded: Windows stops before unmapping it.
    #expect(try h.kernel.sync { c in c.modules() }.contains { $0.name == "Abc" })
  }

  @Test func aVerifiedDriverThatFreesEverythingUnloadsAndLeavesTheModuleList() throws {
    let h = try Harness(verifier: [VerifierSetting(driver: "Tron.sys", flags: 8)])
    try h.run(seconds: 20)
    let tron = try h.kernel.sync { c in c.modules() }.first { $0.name == "Tron" }!
    _ = try h.kernel.sync { c throws(KernelError) in try c.unloadDriver("tron.sys") }
    try h.run(seconds: 5)
    let modules = try h.kernel.sync { c in c.modules() }
    #expect(!modules.contains { $0.name == "Tron" })
    // PsLoadedModuleList no longer reaches Tron's entry, and the list still closes on its head.
    let head = try h.nt("PsLoadedModuleList")
    var link = try h.readU32(head)
    var bases: [UInt32] = []
    while link != head, bases.count < 16 {
      bases.append(try h.readU32(link + 0x18))
      link = try h.readU32(link)
    }
    #expect(link == head && bases == modules.map(\.base))
    #expect(!bases.contains(tron.base))
    let entry = try #require(try Self.entries(h).first)
    #expect(entry.unloads == 1 && entry.currentPaged == 0 && entry.allocations.isEmpty)
    // Tron's worker thread ended with it.
    let threads = try h.kernel.sync { c in c.threads() }
    #expect(
      threads.filter { $0.startRoutine >= tron.base && $0.startRoutine < tron.base + tron.size }
        .allSatisfy { $0.state == .terminated })
  }

  @Test func anUnverifiedDriverUnloadsEvenWithItsLeak() throws {
    let h = try Harness()
    try h.run(seconds: 10)
    _ = try h.kernel.sync { c throws(KernelError) in try c.unloadDriver("Abc") }
    let event = try h.run(seconds: 2)
    #expect(event.reason == .timeLimit)
    #expect(!(try h.kernel.sync { c in c.modules() }.contains { $0.name == "Abc" }))
  }

  /// The entry is guest memory a driver (or `ed`) can overwrite: garbage in its pointers and indices changes
  /// what is tracked, never the host.
  @Test func garbageInTheEntryDoesNotReachPastTheRegion() throws {
    let h = try Harness(verifier: [Self.abc])
    try h.run(seconds: 5)
    let entry = try #require(try Self.entries(h).first).entry
    try h.writeU32(entry + 0x30, 0x1234_5678)  // PoolHash
    try h.writeU32(entry + 0x38, 0xffff_fff0)  // PoolHashFree
    try h.writeU32(entry + 0x3c, 0x7fff_ffff)  // PoolHashReserved
    let event = try h.run(seconds: 5)
    #expect(event.reason == .timeLimit)
    // The hash was full by its own count: further allocations are counted as untracked.
    #expect(try h.readU32(try h.nt("MmVerifierData") + 0x38) > 0)
  }

  @Test func thePoolLogKeepsAllocationsAndFreesWithStacksFromInsideThePoolRoutines() throws {
    let h = try Harness(verifier: [Self.abc])
    try h.run(seconds: 30)
    let log = try h.readU32(try h.nt("ViPoolLog"))
    let size = try h.readU32(try h.nt("ViPoolLogSize"))
    let written = try h.readU32(try h.nt("ViPoolLogIndex"))
    #expect(size == 0x1000 && written > size, "the ring has wrapped")
    let allocate = try h.nt("ExAllocatePoolWithTag")
    let free = try h.nt("ExFreePoolWithTag")
    var kinds: Set<UInt32> = []
    for n in 0..<UInt32(64) {
      let e = log + (written - 1 - n) % size * 0x40
      let kind = try h.readU32(e + 12)
      let top = try h.readU32(e + 16)
      kinds.insert(kind)
      #expect(kind == 1 ? top > allocate && top < allocate + 0x20 : top > free && top < free + 0x20)
      #expect(try h.readU32(e + 4) > 0 && (try h.readU32(e + 8)) != 0)  // size, thread
    }
    #expect(kinds == [1, 2])
  }
}
