import Foundation

/// One run: measures each pair in the same run and prints Markdown tables (ratios and absolute figures).
final class BenchRun {
  let options: Options
  let report = Report()
  /// kd command output goes here (it is formatted in full, as on a console, then dropped).
  let sink = FileHandle.nullDevice
  private var transfer: KDBench.Transfer?
  private var bareSmall: [Double]?
  private var bareBulkSeconds: Double?

  init(_ options: Options) { self.options = options }

  func run() throws {
    let cpu = ProcessInfo.processInfo.activeProcessorCount
    report.note(
      "swift-kd bench\(options.quick ? " --quick" : ""): \(cpu) cores, \(Date()), release build; servers run in child processes on 127.0.0.1"
    )
    if options.wants("gdb") || options.wants("tls") { try clientServer() }
    if options.wants("kernel") { try kernel() }
    if options.wants("sites") { try sites() }
    if options.wants("scan") { try scan() }
    if options.wants("scale") { try scale() }
    if options.wants("memory") { try memory() }
  }

  /// Sections 1 (vs gdb), 2 (vs bare TLS) and 5 (script), sharing one kd server child.
  private func clientServer() throws {
    let kd = try KDSession()
    transfer = try KDBench.transfer(kd, bytes: options.bulkBytes, count: options.roundTrips)
    let t = transfer!
    let kdBulk = Double(t.bulkBytes) / t.bulkSeconds
    let kdMedian = Measure.quantile(t.roundTrips, 0.5)
    let kdP99 = Measure.quantile(t.roundTrips, 0.99)
    let haltedMedian = Measure.quantile(t.haltedRoundTrips, 0.5)
    let haltedP99 = Measure.quantile(t.haltedRoundTrips, 0.99)
    var kdBreakSeconds: Double?
    if options.wants("gdb") { kdBreakSeconds = try KDBench.breaks(kd, count: options.hits, sink: sink) }
    var scriptSeconds: Double?
    if options.wants("script") || options.only.isEmpty {
      scriptSeconds = try KDBench.script(kd, count: options.scriptBreaks, sink: sink)
    }

    // gdb against kdserver's own GDB endpoint: the kd session gives up the controller role first.
    var endpoint: GdbBench.Result?
    if options.wants("gdb") && GdbBench.missingTool() == nil {
      kd.detach()
      endpoint = try GdbBench.runAgainstEndpoint(
        port: kd.connector.gdbPort, bulkBytes: options.bulkBytes, roundTrips: options.roundTrips, hits: options.hits)
    }

    if options.wants("gdb") {
      report.section("1. kd over TLS vs gdb + gdbserver (loopback)", columns: ("kd", "gdb"))
      if let missing = GdbBench.missingTool() {
        report.note("skipped: \(missing)")
      } else {
        let g = try GdbBench.run(bulkBytes: options.bulkBytes, roundTrips: options.roundTrips, hits: options.hits)
        defer { if let endpoint { gdbEndpointSection(endpoint, against: g) } }
        let gdbBulk = Double(g.bulkBytes) / g.bulkSeconds
        let bulkRatio = kdBulk / gdbBulk
        report.row(
          "bulk read \(Format.bytes(t.bulkBytes))", Format.throughput(kdBulk), Format.throughput(gdbBulk),
          ratio: Format.ratio(bulkRatio), goal: ">= 20x: \(Format.verdict(bulkRatio >= 20))")
        let kdRate = Double(options.hits) / kdBreakSeconds!
        let gdbRate = Double(g.hits) / g.hitSeconds
        report.row(
          "breaks/s with a stack at each (\(options.hits) hits)", Format.rate(kdRate, "breaks"),
          Format.rate(gdbRate, "hits"), ratio: Format.ratio(kdRate / gdbRate),
          goal: ">= 10x: \(Format.verdict(kdRate / gdbRate >= 10))")
        report.row(
          "4-byte read round trip, target halted (as gdb's is), median (p99)",
          "\(Format.time(haltedMedian)) (\(Format.time(haltedP99)))",
          "\(Format.time(g.roundTripMedian)) (\(Format.time(g.roundTripP99)))",
          ratio: Format.ratio(haltedMedian / g.roundTripMedian) + " of gdb's time",
          goal: "below gdb's: \(Format.verdict(haltedMedian < g.roundTripMedian))")
        report.row(
          "4-byte read round trip, target running, median (p99)", "\(Format.time(kdMedian)) (\(Format.time(kdP99)))",
          "\(Format.time(g.roundTripMedian)) (\(Format.time(g.roundTripP99)))",
          ratio: Format.ratio(kdMedian / g.roundTripMedian) + " of gdb's time", goal: "reported")
      }
    }

    if options.wants("tls") {
      let echo = try ChildProcess(role: ["--serve-tls-echo"])
      defer { echo.stop() }
      guard let port = UInt16(echo.fields[0]) else { throw BenchError.child("bad READY \(echo.fields)") }
      let small = try BareTLS.pingPong(port: port, fingerprint: echo.fields[1], count: options.roundTrips)
      var bulkTimes: [Double] = []
      for _ in 0..<3 { bulkTimes.append(try BareTLS.bulk(port: port, fingerprint: echo.fields[1], bytes: t.bulkBytes)) }
      let bareBulk = Double(t.bulkBytes) / Measure.quantile(bulkTimes.sorted(), 0.5)
      bareBulkSeconds = Measure.quantile(bulkTimes.sorted(), 0.5)
      bareSmall = small
      let bareMedian = Measure.quantile(small, 0.5)
      report.section(
        "2. Protocol vs bare KDTransport TLS (two processes, loopback)", columns: ("kd protocol", "bare TLS"))
      report.row(
        "small round trip median: 4-byte ReadVirtualMemory (target halted) vs 64-byte ping-pong",
        Format.time(haltedMedian), Format.time(bareMedian), ratio: Format.ratio(haltedMedian / bareMedian),
        goal: "<= 1.5x: \(Format.verdict(haltedMedian / bareMedian <= 1.5))")
      report.row(
        "the same, target running (each read also takes a turn on the kernel thread)", Format.time(kdMedian),
        Format.time(bareMedian), ratio: Format.ratio(kdMedian / bareMedian), goal: "reported")
      report.row(
        "small round trip p99", Format.time(kdP99), Format.time(Measure.quantile(small, 0.99)),
        ratio: Format.ratio(kdP99 / Measure.quantile(small, 0.99)))
      report.row(
        "bulk \(Format.bytes(t.bulkBytes)): ReadVirtualMemory vs bare stream", Format.throughput(kdBulk),
        Format.throughput(bareBulk), ratio: Format.percent(kdBulk / bareBulk),
        goal: ">= 50%: \(Format.verdict(kdBulk / bareBulk >= 0.5))")

      let tcpEcho = try ChildProcess(role: ["--serve-tcp-echo"])
      defer { tcpEcho.stop() }
      guard let tcpPort = UInt16(tcpEcho.fields[0]) else { throw BenchError.child("bad READY \(tcpEcho.fields)") }
      let plain = try PlainTCP.pingPong(port: tcpPort, count: options.roundTrips)
      let plainMedian = Measure.quantile(plain, 0.5)
      report.section(
        "2b. Bare KDTransport TLS vs plain TCP (two processes, loopback, 64-byte ping-pong)",
        columns: ("KDTransport TLS", "plain TCP"))
      report.row(
        "round trip median (p99)", "\(Format.time(bareMedian)) (\(Format.time(Measure.quantile(small, 0.99))))",
        "\(Format.time(plainMedian)) (\(Format.time(Measure.quantile(plain, 0.99))))",
        ratio: Format.ratio(bareMedian / plainMedian),
        goal: "<= 1.5x: \(Format.verdict(bareMedian / plainMedian <= 1.5))")
      let embedded = try KDBench.embeddedRoundTrips(count: options.roundTrips)
      report.row(
        "kd embedded (in-memory link, one process): 4-byte read median (p99)",
        "\(Format.time(Measure.quantile(embedded, 0.5))) (\(Format.time(Measure.quantile(embedded, 0.99))))", "",
        ratio: "", goal: "reported")
    }

    if let scriptSeconds {
      report.section("5. kd script: PoolHitTag breaks (g, kb) via `$<file`", columns: ("kd", ""))
      report.row(
        "\(options.scriptBreaks) breaks", Format.rate(Double(options.scriptBreaks) / scriptSeconds, "breaks"),
        "", ratio: Format.time(scriptSeconds) + " total")
    }
  }

  /// Section 1b: the same gdb, timed the same way, against kdserver's GDB endpoint and against gdbserver.
  private func gdbEndpointSection(_ e: GdbBench.Result, against g: GdbBench.Result) {
    report.section(
      "1b. gdb against kdserver --gdb-listen vs gdb against gdbserver (loopback, plain TCP both)",
      columns: ("kdserver", "gdbserver"))
    let bulk = (Double(e.bulkBytes) / e.bulkSeconds) / (Double(g.bulkBytes) / g.bulkSeconds)
    report.row(
      "bulk read \(Format.bytes(e.bulkBytes)) (gdb's own packet size)",
      Format.throughput(Double(e.bulkBytes) / e.bulkSeconds), Format.throughput(Double(g.bulkBytes) / g.bulkSeconds),
      ratio: Format.ratio(bulk), goal: "reported")
    report.row(
      "4-byte read round trip, halted, median (p99)",
      "\(Format.time(e.roundTripMedian)) (\(Format.time(e.roundTripP99)))",
      "\(Format.time(g.roundTripMedian)) (\(Format.time(g.roundTripP99)))",
      ratio: Format.ratio(e.roundTripMedian / g.roundTripMedian) + " of gdbserver's time",
      goal: "reported")
    let rate = (Double(e.hits) / e.hitSeconds) / (Double(g.hits) / g.hitSeconds)
    report.row(
      "breaks/s with a stack at each (\(e.hits) hits)", Format.rate(Double(e.hits) / e.hitSeconds, "breaks"),
      Format.rate(Double(g.hits) / g.hitSeconds, "hits"), ratio: Format.ratio(rate), goal: "reported")
  }

  /// Section 3: the simulated kernel in this process.
  private func kernel() throws {
    let k = try KernelBench()
    let s = options.kernelSeconds
    let (poolArmed, poolDisarmed) = try k.armedVersusDisarmed(.pool, rounds: options.kernelRounds, seconds: s)
    let (spinArmed, spinDisarmed) = try k.armedVersusDisarmed(.spin, rounds: options.kernelRounds, seconds: s)
    let malloc = KernelBench.mallocPairsPerSecond(seconds: s)
    report.section("3. Simulated kernel (in process, no server)", columns: ("PoolHitTag armed on a miss", "disarmed"))
    report.row(
      "spin loop, emulated instructions/s", Format.rate(spinArmed * KernelBench.spinInstructions, "insn"),
      Format.rate(spinDisarmed * KernelBench.spinInstructions, "insn"), ratio: Format.percent(spinArmed / spinDisarmed),
      goal: ">= 95%: \(Format.verdict(spinArmed / spinDisarmed >= 0.95))")
    report.row(
      "pool alloc+free loop, emulated instructions/s", Format.rate(poolArmed * KernelBench.poolInstructions, "insn"),
      Format.rate(poolDisarmed * KernelBench.poolInstructions, "insn"), ratio: Format.percent(poolArmed / poolDisarmed),
      goal: ">= 95%: \(Format.verdict(poolArmed / poolDisarmed >= 0.95))")
    report.section("3b. Pool allocate+free pairs/s", columns: ("driver code (armed, miss)", "glibc malloc+free"))
    report.row(
      "32-byte blocks", Format.rate(poolArmed, "pairs"), Format.rate(malloc, "pairs"),
      ratio: Format.ratio(poolArmed / malloc), goal: "reported")
  }

  /// Section 3c: the pool loop with the kernel's call-site tracking (ours) off, on, and on with a tag tracepoint
  /// logging every allocation and free: three kernels measured in turns in the same run (the order rotates each
  /// round); PoolHitTag disarmed in all. Ratios are against the run's own baseline (tracking off).
  private func sites() throws {
    let baseline = try KernelBench(siteTracking: false)
    let tracked = try KernelBench(siteTracking: true)
    let traced = try KernelBench(siteTracking: true)
    try traced.traceEveryTag()
    let kernels = [baseline, tracked, traced]
    // One kernel runs at a time: the other two are halted while it is measured.
    for k in kernels { try k.pause() }
    var rates: [[Double]] = [[], [], []]
    for round in 0..<options.kernelRounds * 2 {
      for k in 0..<3 {
        let i = (k + round) % 3
        try kernels[i].proceed()
        rates[i].append(
          try kernels[i].iterationsPerSecond(.pool, tag: KernelBench.disarmedTag, seconds: options.kernelSeconds))
        try kernels[i].pause()
      }
    }
    let median = rates.map { Measure.quantile($0.sorted(), 0.5) }
    report.section(
      "3c. Pool call-site tracking and tag tracepoints (ours: `!poolsites`, `!pooltrace`)",
      columns: ("with it", "baseline: tracking off, no trace"))
    report.row(
      "alloc+free pairs/s, call-site tracking on", Format.rate(median[1], "pairs"), Format.rate(median[0], "pairs"),
      ratio: Format.percent(median[1] / median[0]), goal: ">= 50%: \(Format.verdict(median[1] / median[0] >= 0.5))")
    report.row(
      "alloc+free pairs/s, tracking on + `!pooltrace start` (every tag, both)", Format.rate(median[2], "pairs"),
      Format.rate(median[0], "pairs"), ratio: Format.percent(median[2] / median[0]),
      goal: ">= 50%: \(Format.verdict(median[2] / median[0] >= 0.5))")
    let c = try traced.traceCompleteness()
    report.row(
      "trace completeness: events logged / received (dropped by the ring, sequence gaps) / the kernel's own count"
        + " (nt!PoolTrackTable allocs + frees)",
      "\(c.logged) / \(c.received) (\(c.dropped), \(c.gaps))", "\(c.kernelCalls)",
      ratio: Format.percent(Double(c.received) / Double(max(c.kernelCalls, 1))),
      goal: "all, none dropped: \(Format.verdict(c.complete))")
    report.row(
      "trace pairing: frees paired with a traced allocation at the same address",
      "\(c.pairedFrees) of \(c.frees) frees (\(c.olderFrees) of blocks allocated before the trace)",
      "\(c.allocations) allocations, \(c.doubleAllocations) at a live address",
      goal: "every free of a traced block paired: \(Format.verdict(c.doubleAllocations == 0 && c.gaps == 0))")
  }

  /// Section 3d: the kernel's reachability scan (ours, `!poolscan`) at each live-block count, in this process.
  private func scan() throws {
    let k = try KernelBench()
    report.table(
      "3d. `!poolscan`: the kernel's reachability scan vs live blocks (in process, target halted)",
      headers: ["live `Bliv` blocks asked", "blocks in use found", "lost found", "scan, median of 3", "blocks/s"])
    for n in options.liveCounts {
      guard let r = try k.scan(live: n, limit: options.scaleBudget) else {
        report.note("The fill stopped short of \(n) live blocks: the fill limit (\(options.scaleBudget) s) ran out.")
        break
      }
      report.cells([
        "\(n)", "\(r.blocks)", "\(r.lost)", Format.time(r.seconds), Format.rate(Double(r.blocks) / r.seconds, "blocks"),
      ])
    }
  }

  /// Section 4: scale of the pool commands.
  private func scale() throws {
    let kd = try KDSession()
    let steps = try ScaleBench.run(
      kd, counts: options.liveCounts, fillLimit: options.scaleBudget, poolFind: !options.quick)
    report.table(
      "4. `!poolused 4` and `!poolfind` vs live allocations (over TLS)",
      headers: [
        "live blocks asked", "reached", "fill (driver allocs/s)", "`!poolused 4` median of 5",
        "`!poolfind Bliv 1` (every block printed)", "paged pool mapped", "mapped bytes/s", "range walked/s",
        "`!poolscan Bliv` median of 3 (lost blocks)",
      ])
    for s in steps {
      report.cells([
        "\(s.live)", "\(s.reached)", Format.rate(s.allocationsPerSecond, "allocs"), Format.time(s.poolUsedSeconds),
        s.poolFindSeconds.map(Format.time) ?? "skipped (--quick)", Format.bytes(s.scannedBytes),
        s.poolFindSeconds.map { Format.throughput(Double(s.scannedBytes) / $0) } ?? "",
        s.poolFindSeconds.map { Format.throughput(Double(s.rangeBytes) / $0) } ?? "",
        "\(Format.time(s.poolScanSeconds)) (\(s.lostBlocks))",
      ])
    }
    if let last = steps.last, last.reached < last.live {
      report.note(
        "The fill stopped at \(last.reached) live blocks: the fill limit (\(options.scaleBudget) s per step) ran out.")
    }
    if let bare = bareBulkSeconds, let t = transfer {
      report.note("Bare TLS bulk transfer in this run: \(Format.throughput(Double(t.bulkBytes) / bare)).")
    }
  }

  private func memory() throws {
    let m = try ScaleBench.memory(clients: 64)
    report.section("4b. Server memory (RSS of the server process)", columns: ("RSS", ""))
    report.row("no client", Format.bytes(m.idle), "")
    report.row("1 client (controller)", Format.bytes(m.oneClient), "")
    report.row("\(m.clients) clients (1 controller, \(m.clients - 1) observers)", Format.bytes(m.manyClients), "")
    report.row(
      "per extra idle client", Format.bytes((m.manyClients - m.oneClient) / (m.clients - 1)), "")
  }
}
