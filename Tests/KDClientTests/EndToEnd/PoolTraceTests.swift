import Foundation
import KDTestSupport
import Testing

/// `!pooltrace` (ours) through the real `kd`, on the embedded target and on a real `kdserver` over TLS: the
/// events streamed while the target runs are the kernel's own counts, paired per address, and `save` writes
/// folded stacks and Chrome trace-event JSON with the same numbers.
@Suite struct PoolTraceTests {
  /// The paged Allocs and Frees columns of `!poolused 1 Abc`.
  static func counts(_ lines: [String]) throws -> (allocs: Int, frees: Int) {
    let row = try #require(lines.first { $0.hasPrefix(" Abc ") }, "\(lines)")
    let n = row.split(separator: " ").compactMap { Int($0) }
    return (n[4], n[5])
  }

  @Test(arguments: [false, true]) func streamedEventsAreTheKernelsCountsPairedPerAddress(remote: Bool) throws {
    let dir = makeTemporaryDirectory("pooltrace")
    let t = try PoolSitesTests.kd(
      PoolSitesTests.advance + [
        "!poolused 1 Abc", "!pooltrace start Abc", "bp nt!ExFreePoolWithTag 1000", "g", "bc *", "!pooltrace stop",
        "!poolused 1 Abc", "!pooltrace save \(dir)/abc.folded", "!pooltrace save \(dir)/abc.json",
      ], remote: remote)
    let before = try Self.counts(PoolSitesTests.output(of: "!poolused 1 Abc", in: t))
    let after = try Self.counts(PoolSitesTests.output(of: "!poolused 1 Abc", in: t, occurrence: 1))
    let stop = PoolSitesTests.output(of: "!pooltrace stop", in: t).joined(separator: "\n")
    let logged = try #require(stop.firstMatch(of: #/(\d+) events logged by the target, (\d+) received here, 0 lost/#))
    let pairs = try #require(
      stop.firstMatch(
        of:
          #/(\d+) allocations, (\d+) frees: (\d+) freed during the trace, (\d+) still outstanding, (\d+) frees of blocks from before it, 0 unpaired/#
      ),
      "\(t)")
    let (allocations, frees) = (after.allocs - before.allocs, after.frees - before.frees)
    #expect(allocations > 1000 && frees > 1000)
    #expect(Int(logged.output.1) == allocations + frees && Int(logged.output.2) == allocations + frees)
    #expect(Int(pairs.output.1) == allocations && Int(pairs.output.2) == frees)
    #expect(Int(pairs.output.3)! + Int(pairs.output.5)! == frees)

    // Folded stacks: one line per allocating stack, root first, weighted by allocations.
    let folded = try String(contentsOfFile: "\(dir)/abc.folded", encoding: .utf8).split(separator: "\n")
    #expect(folded.count == 3)
    #expect(folded.contains { $0.hasPrefix("nt!PspSystemThreadStartup;Abc!AbcLogWorker;Abc!AbcLogEvent ") })
    #expect(folded.compactMap { Int($0.split(separator: " ").last!) }.reduce(0, +) == allocations)
    // Chrome trace events: one instant per event, on its thread, with its stack.
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/abc.json")))
        as? [String: Any])
    let events = try #require(json["traceEvents"] as? [[String: Any]])
    let instants = events.filter { $0["ph"] as? String == "i" }
    #expect(instants.filter { $0["name"] as? String == "alloc Abc " }.count == allocations)
    #expect(instants.filter { $0["name"] as? String == "free Abc " }.count == frees)
    #expect(events.contains { $0["ph"] as? String == "C" && $0["name"] as? String == "Abc  outstanding bytes" })
  }
}
