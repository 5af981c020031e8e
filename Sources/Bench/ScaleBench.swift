import Foundation

/// `!poolused` and `!poolfind` as live allocations grow (8-byte `Bliv` blocks the driver never frees), and
/// server memory with idle clients attached.
enum ScaleBench {
  struct Step {
    var live: Int
    /// Live blocks actually reached (less than asked if the time budget ran out).
    var reached: Int
    var allocationsPerSecond: Double
    var poolUsedSeconds: Double
    /// `!poolfind Bliv 1`: the paged pool range scanned, every live block printed (nil: not run).
    var poolFindSeconds: Double?
    /// `!poolscan Bliv` (ours): the kernel's reachability scan of every in-use block, median of 3 (nil: not run).
    var poolScanSeconds: Double
    /// Lost blocks the scan reported (every `Bliv` block: the driver keeps no pointer to them).
    var lostBlocks: Int
    /// Paged pool bytes mapped (what the scan actually reads).
    var scannedBytes: Int
    /// MmPagedPoolEnd - MmPagedPoolStart: the range `!poolfind` walks (unmapped pages cost a request each).
    var rangeBytes: Int
  }

  static func run(_ kd: KDSession, counts: [Int], fillLimit: Double, poolFind: Bool) throws -> [Step] {
    let liveTarget = try kd.evaluate("Bnch!BnchLiveTarget")
    let live = try kd.evaluate("Bnch!BnchLive")
    let mode = try kd.evaluate("Bnch!BnchMode")
    let pagedStart = try kd.read32(try kd.evaluate("nt!MmPagedPoolStart"))
    let range = Int(try kd.read32(try kd.evaluate("nt!MmPagedPoolEnd")) &- pagedStart)
    _ = try kd.command("!poolused 4")  // symbols and first reads warm
    var steps: [Step] = []
    for n in counts {
      let before = Int(try kd.read32(live))
      try kd.write32(liveTarget, UInt32(n))
      try kd.write32(mode, BenchMode.live.rawValue)
      var reached = 0
      let fillSeconds = try Measure.seconds {
        reached = Int(try kd.poll(live, limit: fillLimit) { $0 >= UInt32(n) })
      }
      try kd.write32(mode, BenchMode.idle.rawValue)
      reached = Int(try kd.read32(live))
      let used = try Measure.latencies(count: 5) { _ in
        guard try kd.command("!poolused 4").contains("Bliv") else { throw BenchError.failed("!poolused lacks Bliv") }
      }
      var findSeconds: Double?
      if poolFind {
        var hits = ""
        findSeconds = try Measure.seconds { hits = try kd.command("!poolfind Bliv 1") }
        let found = hits.split(separator: "\n").filter { $0.contains("Bliv") }.count
        guard found >= reached else { throw BenchError.failed("!poolfind Bliv found \(found) of \(reached)") }
      }
      var scanned = ""
      let scan = try Measure.latencies(count: 3) { _ in scanned = try kd.command("!poolscan Bliv") }
      let lost = scanned.split(separator: "\n").first { $0.hasPrefix(" Bliv ") }.flatMap {
        Int($0.split(separator: " ")[3])
      }
      guard let lost, lost >= reached else { throw BenchError.failed("!poolscan Bliv:\n\(scanned)") }
      steps.append(
        Step(
          live: n, reached: reached, allocationsPerSecond: Double(reached - before) / fillSeconds,
          poolUsedSeconds: Measure.quantile(used, 0.5), poolFindSeconds: findSeconds,
          poolScanSeconds: Measure.quantile(scan, 0.5), lostBlocks: lost,
          scannedBytes: try kd.mappedBytes(from: pagedStart), rangeBytes: range))
      if reached < n { break }
    }
    return steps
  }

  struct Memory {
    var idle: Int
    var oneClient: Int
    var manyClients: Int
    var clients: Int
  }

  /// RSS of a fresh server child with no client, one controller, then `clients` attached (observers added).
  static func memory(clients: Int) throws -> Memory {
    let (child, connector) = try KDServerChild.start()
    defer { child.stop() }
    usleep(300_000)
    let idle = Measure.residentBytes(pid: child.pid) ?? 0
    var attached = [try connector.connect()]
    _ = try attached[0].version()
    usleep(300_000)
    let one = Measure.residentBytes(pid: child.pid) ?? 0
    for _ in 1..<clients {
      let observer = try connector.connect(controller: false)
      _ = try observer.version()
      attached.append(observer)
    }
    usleep(500_000)
    let many = Measure.residentBytes(pid: child.pid) ?? 0
    for client in attached { client.connection.detach() }
    return Memory(idle: idle, oneClient: one, manyClients: many, clients: clients)
  }
}
