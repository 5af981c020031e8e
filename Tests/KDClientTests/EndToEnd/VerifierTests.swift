import Foundation
import KDTestSupport
import Testing

/// Driver Verifier's Pool Tracking through the real `kd`: `--verifier` at boot (kd's embedded target, and a real
/// `kdserver --break-at-boot --verifier` over TLS), `.verifier` (ours) taking effect at `.reboot`, `!verifier 3`,
/// `!verifier 0x80`, and `.unload` (ours) ending in 0xC4 / 0x62 for a verified driver that leaks.
@Suite struct VerifierTests {
  /// Runs a kd script on a fresh target halted at boot, `verifier` settings (`Abc.sys:0x8`) given at boot.
  static func kd(_ lines: [String], verifier: [String] = [], remote: Bool = false) throws -> String {
    try PoolSitesTests.kd(lines, remote: remote, targetOptions: verifier.flatMap { ["--verifier", $0] })
  }

  static func output(of command: String, in transcript: String, occurrence: Int = 0) -> [String] {
    PoolSitesTests.output(of: command, in: transcript, occurrence: occurrence)
  }

  /// The `PoolAddress SizeInBytes Tag CallersAddress` rows of a `!verifier 3` output.
  static func allocationRows(_ lines: [String]) -> [[String]] {
    guard let header = lines.firstIndex(where: { $0.hasPrefix("PoolAddress  SizeInBytes") }) else { return [] }
    return lines[(header + 1)...].prefix { !$0.isEmpty }.map { $0.split(separator: " ").map(String.init) }
  }

  /// A `Name  Value` row's value (hex after the label).
  static func counter(_ label: String, in lines: [String]) -> [String]? {
    lines.first { $0.hasPrefix(label) }.map { $0.dropFirst(label.count).split(separator: " ").map(String.init) }
  }

  static let advance = ["bp nt!ExFreePoolWithTag 2000", "g", "bc *"]

  @Test(arguments: [false, true]) func verifierThreeListsEachOutstandingAllocationWithItsCaller(remote: Bool) throws {
    let t = try Self.kd(
      Self.advance + ["!verifier 3 Abc.sys", "!poolused 0 Abc", "lm m Abc"], verifier: ["Abc.sys:0x8"], remote: remote)
    let out = Self.output(of: "!verifier 3 Abc.sys", in: t)
    #expect(out.contains("Verify Level 8 ... enabled options are:"), "\(t)")
    #expect(out.contains("    All pool allocations checked on unload"))
    let listed = try #require(out.first { $0.hasSuffix("    Abc.sys") }, "\(out)")
    #expect(listed.contains(" Loaded "))
    let rows = Self.allocationRows(out)
    let current = try #require(Self.counter("Current Pool Allocations", in: out))
    #expect(rows.count == Int(current[1], radix: 16), "the paged count is the number of rows")
    #expect(rows.count > 16 + 64, "the ring, the cache and the log: \(rows.count)")
    // Every row is an 'Abc ' block whose caller is in Abc; the callers are Abc's three call sites.
    let module = try #require(Self.output(of: "lm m Abc", in: t).first { $0.contains(" Abc ") })
    let range = module.split(separator: " ").prefix(2).compactMap { UInt32($0, radix: 16) }
    let callers = Set(rows.map { UInt32($0[3], radix: 16) ?? 0 })
    #expect(rows.allSatisfy { $0.count == 4 && $0[2] == "Abc" })
    #expect(callers.count == 3 && callers.allSatisfy { $0 >= range[0] && $0 < range[1] }, "\(callers)")
    // As many as !poolused counts outstanding for the tag (every 'Abc ' block is Abc's).
    let used = try #require(Self.output(of: "!poolused 0 Abc", in: t).first { $0.hasPrefix(" Abc ") })
    #expect(used.split(separator: " ").compactMap { Int($0) }[2] == rows.count, "\(used)")
  }

  @Test(arguments: [false, true]) func settingsStoredWithDotVerifierTakeEffectAtReboot(remote: Bool) throws {
    let t = try Self.kd(
      [".verifier", ".verifier /flags 0x8 /driver Abc.sys", "!verifier", ".reboot", "!verifier 1", ".verifier"],
      remote: remote)
    #expect(Self.output(of: ".verifier", in: t).contains("    (none)"))
    let stored = Self.output(of: ".verifier /flags 0x8 /driver Abc.sys", in: t)
    #expect(stored.contains { $0.hasPrefix("    Abc.sys") && $0.contains("flags 0x8") }, "\(stored)")
    #expect(stored.last == "The system reboot is required for the changes to take effect.")
    let before = Self.output(of: "!verifier", in: t)
    #expect(before.contains("Verify Level 0 ... enabled options are:") && !before.contains { $0.contains("Abc.sys") })
    let after = Self.output(of: "!verifier 1", in: t)
    #expect(after.contains("Verify Level 8 ... enabled options are:"), "\(t)")
    #expect(after.contains { $0.hasSuffix("    Abc.sys") && $0.contains(" Loaded ") })
    let query = Self.output(of: ".verifier", in: t, occurrence: 1)
    #expect(!query.contains("The system reboot is required for the changes to take effect."), "\(query)")
  }

  @Test(arguments: [false, true]) func unloadingTheLeakingDriverBugChecksC4With62(remote: Bool) throws {
    let t = try Self.kd(
      Self.advance + [".unload Abc.sys", "g", "!analyze -v", "!verifier 3 Abc.sys"], verifier: ["Abc.sys:0x8"],
      remote: remote)
    #expect(Self.output(of: ".unload Abc.sys", in: t).first?.hasPrefix("Unload of Abc.sys requested (ours)") == true)
    let fatal = Self.output(of: "g", in: t, occurrence: 1)
    #expect(fatal.first == "*** Fatal System Error: 0x000000c4", "\(t)")
    let analysis = Self.output(of: "!analyze -v", in: t)
    #expect(analysis.contains("DRIVER_VERIFIER_DETECTED_VIOLATION (c4)"))
    #expect(
      analysis.contains("Arg1: 00000062, A driver has forgotten to free its pool allocations prior to unloading."))
    #expect(analysis.contains("MODULE_NAME: Abc") && analysis.contains("IMAGE_NAME:  Abc.sys"))
    let arg4 = try #require(analysis.first { $0.hasPrefix("Arg4: ") })
    let leaked = try #require(Int(arg4.dropFirst(6).prefix(8), radix: 16))
    // AbcUnload freed the requests and the cache: what Arg4 counts is the event log, one caller.
    let rows = Self.allocationRows(Self.output(of: "!verifier 3 Abc.sys", in: t))
    #expect(rows.count == leaked && leaked > 0)
    #expect(Set(rows.map { $0[3] }).count == 1)
    #expect(analysis.contains { $0.contains("nt!IopUnloadDriver+") })
  }

  @Test func aDriverThatFreesEverythingUnloadsCleanlyAndLeavesLm() throws {
    let t = try Self.kd(
      Self.advance + [".unload Tron.sys", "bp nt!ExFreePoolWithTag 200", "g", "bc *", "lm", "!verifier 1"],
      verifier: ["Tron.sys:0x8"])
    let lm = Self.output(of: "lm", in: t)
    #expect(lm.contains { $0.contains(" Abc ") } && !lm.contains { $0.contains(" Tron ") }, "\(lm)")
    // nt!MmUnloadedDrivers remembers it, as `lm` shows under "Unloaded modules:".
    #expect(lm.suffix(2) == ["Unloaded modules:", "f7a10000 f7a15000   Tron.sys"], "\(lm)")
    let verifier = Self.output(of: "!verifier 1", in: t)
    #expect(verifier.contains { $0.hasSuffix("    Tron.sys") && $0.contains(" Unloaded ") }, "\(verifier)")
    #expect(Self.counter("Current Pool Allocations", in: verifier) == ["00000000", "00000000"])
  }

  @Test func thePoolLogShowsRecentAllocationsAndFreesAndSearchesByAddress() throws {
    let first = try Self.kd(Self.advance + ["!verifier 3 Abc.sys"], verifier: ["Abc.sys:0x8"])
    let block = try #require(Self.allocationRows(Self.output(of: "!verifier 3 Abc.sys", in: first)).first)[0]
    let t = try Self.kd(Self.advance + ["!verifier 0x80 4", "!verifier 0x80 \(block)"], verifier: ["Abc.sys:0x8"])
    let recent = Self.output(of: "!verifier 0x80 4", in: t)
    #expect(recent.first == "Parsing 00001000 array entries, displaying the most recent 00000004.", "\(recent)")
    let headers = recent.indices.filter { recent[$0].hasPrefix("Pool block ") }
    #expect(headers.count == 4)
    for h in headers {
      #expect(
        recent[h + 1].contains(" nt!ExAllocatePoolWithTag+") || recent[h + 1].contains(" nt!ExFreePoolWithTag+"),
        "\(recent)")
    }
    let search = Self.output(of: "!verifier 0x80 \(block)", in: t)
    #expect(search.first == "Parsing 00001000 array entries, searching for address \(block).")
    let allocation = try #require(search.firstIndex { $0.hasPrefix("Pool block \(block), Size ") }, "\(search)")
    #expect(search[allocation + 1].contains(" nt!ExAllocatePoolWithTag+"))
    #expect(search[allocation + 2].contains(" Abc!Abc"))
  }

  @Test func badRequestsAreRefusedAndTheSessionGoesOn() throws {
    let t = try Self.kd(
      [
        ".verifier /flags 0x3 /driver Abc.sys", ".verifier /flags 8", "!verifier 3 Nope.sys", ".unload Nope.sys",
        "!verifier 4", "? 1+1",
      ])
    #expect(
      Self.output(of: ".verifier /flags 0x3 /driver Abc.sys", in: t).joined().contains("Pool Tracking (0x8) only"))
    #expect(Self.output(of: ".verifier /flags 8", in: t).joined().contains("expected /flags Flags /driver"))
    #expect(Self.output(of: "!verifier 3 Nope.sys", in: t).joined().contains("not in the Driver Verification List"))
    #expect(!Self.output(of: ".unload Nope.sys", in: t).isEmpty)
    #expect(Self.output(of: "!verifier 4", in: t).joined().contains("does not keep that log"))
    #expect(Self.output(of: "? 1+1", in: t).first == "Evaluate expression: 2 = 00000002")
  }
}
