import Foundation
import KDClient
import KDKernel
import KDProtocol
import KDServer
import KDTransport
import Logging

/// kd's side of the client-server measurements, against a `bench --serve-kd` child over TLS on loopback.
enum KDBench {
  struct Transfer {
    var bulkBytes: Int
    /// Median of the measured bulk reads.
    var bulkSeconds: Double
    /// Sorted 4-byte read latencies, the target running.
    var roundTrips: [Double]
    /// The same with the target halted (broken in), as gdb's inferior is when gdb reads it.
    var haltedRoundTrips: [Double]
  }

  /// Bulk: `bytes` of paged pool (filled first with 64 KiB `Bbal` blocks) through RemoteTarget.readVirtual
  /// (pipelined requests filling the negotiated payload), one warm-up and three measured reads, median.
  /// Round trip: `count` 4-byte reads at page-spaced addresses, one request each, after 200 warm-up reads.
  static func transfer(_ kd: KDSession, bytes: Int, count: Int) throws -> Transfer {
    let blocks = UInt32((bytes >> 16) + 4)
    try kd.write32(try kd.evaluate("Bnch!BnchBallastBlocks"), blocks)
    try kd.write32(try kd.evaluate("Bnch!BnchMode"), BenchMode.ballast.rawValue)
    let done = try kd.poll(try kd.evaluate("Bnch!BnchBallastDone"), limit: 60) { $0 >= blocks }
    guard done >= blocks else { throw BenchError.failed("ballast stopped at \(done) of \(blocks) blocks") }
    let start = try kd.read32(try kd.evaluate("nt!MmPagedPoolStart"))
    var times: [Double] = []
    for i in 0..<4 {
      var got = 0
      let t = try Measure.seconds { got = try kd.target.readVirtual(start, count: bytes).count }
      guard got == bytes else { throw BenchError.failed("bulk read came back with \(got) of \(bytes) bytes") }
      if i > 0 { times.append(t) }
    }
    for i in 0..<200 { _ = try kd.target.readVirtual(start &+ UInt32(i * 4096 % bytes), count: 4) }
    let latencies = try Measure.latencies(count: count) { i in
      _ = try kd.target.readVirtual(start &+ UInt32(i * 4096 % bytes), count: 4)
    }
    guard try kd.debugger.breakIn(timeout: .seconds(10)) != nil else { throw BenchError.failed("no break-in") }
    for i in 0..<200 { _ = try kd.target.readVirtual(start &+ UInt32(i * 4096 % bytes), count: 4) }
    let halted = try Measure.latencies(count: count) { i in
      _ = try kd.target.readVirtual(start &+ UInt32(i * 4096 % bytes), count: 4)
    }
    try kd.target.resume(singleStep: false)
    return Transfer(
      bulkBytes: bytes, bulkSeconds: times.sorted()[1], roundTrips: latencies, haltedRoundTrips: halted)
  }

  /// `kd`'s embedded path: a target host in this process and a RemoteConnection over an in-memory frame link
  /// (frames still encoded and decoded), the target halted; sorted 4-byte read latencies.
  static func embeddedRoundTrips(count: Int) throws -> [Double] {
    var logger = Logger(label: "bench-embedded")
    logger.logLevel = .warning
    let host = try TargetHost(
      kernel: KernelConfiguration(scenario: "bench", pace: 1.0), policy: SessionPolicy(serverName: "bench"),
      logger: logger)
    host.start()
    defer { host.shutdown() }
    var options = RemoteConnection.Options(tls: TLSClientOptions())
    options.breakOnAttach = true
    let connection = try RemoteConnection(link: host.attachInMemory(), peerName: "embedded", options: options)
    defer { connection.detach() }
    guard connection.haltedEvent != nil || connection.nextEvent(timeout: .seconds(10)) != nil else {
      throw BenchError.failed("the embedded target did not break in")
    }
    let read = Manipulate.readVirtualMemory(ReadVirtualMemory(address: 0x804d_7000, transferCount: 4))
    for _ in 0..<200 { _ = try connection.request(read) }
    return try Measure.latencies(count: count) { _ in _ = try connection.request(read) }
  }

  /// PoolHitTag on `Bnch` (allocated and freed every iteration of the pool loop); each break is taken with `g`
  /// and printed with `kb`, as a user would, through the Debugger engine. Seconds for `count` breaks.
  static func breaks(_ kd: KDSession, count: Int, sink: FileHandle) throws -> Double {
    try arm(kd)
    _ = try kd.command("g")  // the first break: not measured
    return try Measure.seconds {
      for _ in 0..<count {
        let stop = try kd.command("g")
        guard !stop.isEmpty else {
          throw BenchError.failed("g did not stop: \(stop)")
        }
        sink.write(Data((stop + (try kd.command("kb"))).utf8))
      }
    }
  }

  /// The same loop as a kd script (`$<file` with `g` and `kb` lines), as issue 5 asks; seconds for `count` breaks.
  static func script(_ kd: KDSession, count: Int, sink: FileHandle) throws -> Double {
    try arm(kd)
    let path = NSTemporaryDirectory() + "bench-kd-\(getpid()).script"
    try String(repeating: "g\nkb\n", count: count).write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    if case .running = kd.target.state { _ = try kd.command("g") }
    var text = ""
    let seconds = try Measure.seconds { text = try kd.command("$<\(path)") }
    let frames = text.split(separator: "\n").filter {
      $0.contains("Bnch!BnchAllocate") || $0.contains("Bnch!BnchRelease")
    }
    guard frames.count >= count else {
      throw BenchError.failed("script showed \(frames.count) driver frames for \(count) breaks")
    }
    sink.write(Data(text.utf8))
    return seconds
  }

  private static func arm(_ kd: KDSession) throws {
    try kd.write32(try kd.evaluate("nt!PoolHitTag"), 0x6863_6e42)  // 'Bnch' in memory order
    try kd.write32(try kd.evaluate("Bnch!BnchMode"), BenchMode.pool.rawValue)
  }
}
