import Foundation
import KDTestSupport
import Testing

/// `!poolscan` (ours) through the real `kd`, on the embedded target (`-d --pace 0`) and on a real
/// `kdserver --break-at-boot --pace 0` over TLS: both halt at boot, so a breakpoint with a pass count advances
/// every run to the same point.
@Suite struct PoolScanEndToEndTests {
  static func kd(_ lines: [String], scenario: String, remote: Bool = false) throws -> String {
    try PoolSitesTests.kd(lines, remote: remote, scenario: scenario)
  }

  /// The columns of the row naming `site` as its call site.
  static func row(_ site: String, in lines: [String]) -> [String]? {
    lines.first { $0.contains(" \(site)+") }?.split(separator: " ").map(String.init)
  }

  /// After 1500 frees (about 45 s of virtual time): the dropped blocks are lost, the list that nobody trims is
  /// referenced but growing, the lookaside ring referenced.
  @Test(arguments: [false, true]) func tellsALostLeakFromAGrowingList(remote: Bool) throws {
    let t = try Self.kd(
      ["bp nt!ExFreePoolWithTag 1500", "g", "bc *", "!poolscan List", "!poolsites List"], scenario: "leakList",
      remote: remote)
    let out = PoolSitesTests.output(of: "!poolscan List", in: t)
    let drop = try #require(Self.row("Lst!ListDrop", in: out), "no ListDrop row in:\n\(t)")
    let list = try #require(Self.row("Lst!ListAppend", in: out), "no ListAppend row in:\n\(t)")
    let ring = try #require(Self.row("Lst!ListLookaside", in: out), "no ListLookaside row in:\n\(t)")
    // Tag, Blocks, Bytes, Lost, Lost bytes, Verdict.
    #expect(drop[5] == "LOST" && drop[1] == drop[3] && drop[2] == drop[4] && Int(drop[1])! >= 40, "\(out)")
    #expect(list[5] == "GROWING" && list[3] == "0" && Int(list[1])! >= 80, "\(out)")
    #expect(ring[5] == "referenced" && ring[1] == "24" && ring[3] == "0", "\(out)")
    // The lost blocks' addresses follow their row; the blocks are the ones !poolsites counts for the site.
    let lost = try #require(out.first { $0.contains("lost: ") })
    #expect(lost.split(separator: " ").count == 1 + 8 + 1, "\(lost)")
    let sites = PoolSitesTests.output(of: "!poolsites List", in: t)
    #expect(try #require(PoolSitesTests.row("Lst!ListDrop", in: sites))[1] == drop[1])
    #expect(try #require(PoolSitesTests.row("Lst!ListAppend", in: sites))[1] == list[1])
  }

  /// Two leaking sites under one tag are both lost; the same tag's bounded sites, in the driver and in another
  /// driver, are referenced.
  @Test func findsBothLostSitesUnderOneTag() throws {
    let t = try Self.kd(["bp nt!ExFreePoolWithTag 1000", "g", "bc *", "!poolscan"], scenario: "leakSites")
    let out = PoolSitesTests.output(of: "!poolscan", in: t)
    for site in ["Pkt!PktQueueRequest", "Pkt!PktTrackSession"] {
      let r = try #require(Self.row(site, in: out), "no \(site) row in:\n\(t)")
      #expect(r[5] == "LOST", "\(out)")
    }
    for site in ["Pkt!PktRingBuffer", "Pkt!PktScratch", "Noise!NoiseBurst", "Noise!NoiseBuffer"] {
      guard let r = Self.row(site, in: out) else { continue }  // a bounded site may hold nothing at this point
      #expect(r[3] == "0" && r[5] == "referenced", "\(out)")
    }
    // Lost bytes first: the two leaks are the first two rows.
    let rows = out.filter { $0.hasPrefix(" Pkt ") || $0.hasPrefix(" Nois") || $0.hasPrefix(" Thre") }
    #expect(rows.prefix(2).allSatisfy { $0.contains("LOST") }, "\(out)")
  }

  /// The default scenario's leak, Abc!AbcLogEvent, stays referenced (Abc's LogHead heads the list): GROWING, not
  /// lost; nothing in the default scenario is lost.
  @Test func theDefaultLeakIsReferenced() throws {
    let t = try Self.kd(PoolSitesTests.advance + ["!poolscan Abc"], scenario: "default")
    let out = PoolSitesTests.output(of: "!poolscan Abc", in: t)
    let log = try #require(Self.row("Abc!AbcLogEvent", in: out), "no AbcLogEvent row in:\n\(t)")
    #expect(log[5] == "GROWING" && log[3] == "0", "\(out)")
    #expect(out.first?.contains(", 0 lost (0 bytes)") == true, "\(out)")
  }
}
