import Foundation

/// The gdb + gdbserver side: a small C program (a 32 MiB buffer, `tick()` called in a loop) built with cc at
/// bench time, run under `gdbserver --once` on loopback, driven by one batch-mode gdb script whose embedded
/// Python times each measurement inside gdb (so gdb's start-up is not counted).
enum GdbBench {
  struct Result {
    var bulkBytes: Int
    var bulkSeconds: Double
    var roundTripMedian: Double
    var roundTripP99: Double
    var hits: Int
    var hitSeconds: Double
  }

  static let program = """
    #include <string.h>
    char buffer[32 << 20];
    volatile unsigned long counter;
    __attribute__((noinline)) void tick(unsigned long i) { counter += i; }
    int main(void) {
      memset(buffer, 0x5a, sizeof buffer);
      for (unsigned long i = 0;; i++) tick(i);
    }
    """

  /// Nil with the reason when gdb, gdbserver or cc is missing.
  static func missingTool() -> String? {
    for tool in ["gdbserver", "gdb", "cc"] where which(tool) == nil { return "\(tool) not installed" }
    return nil
  }

  static func which(_ tool: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
      return "\(dir)/\(tool)"
    }
    return nil
  }

  static func run(bulkBytes: Int, roundTrips: Int, hits: Int) throws -> Result {
    let dir = NSTemporaryDirectory() + "bench-gdb-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try program.write(toFile: dir + "/prog.c", atomically: true, encoding: .utf8)
    try runTool("cc", ["-O1", "-g", "-o", dir + "/prog", dir + "/prog.c"])

    let server = Process()
    server.executableURL = URL(fileURLWithPath: which("gdbserver")!)
    server.arguments = ["--once", "127.0.0.1:0", dir + "/prog"]
    let serverErr = Pipe()
    server.standardError = serverErr
    server.standardOutput = FileHandle.nullDevice
    try server.run()
    defer { if server.isRunning { server.terminate() } }
    let port = try listeningPort(serverErr.fileHandleForReading)

    let script = """
      set pagination off
      set confirm off
      target remote 127.0.0.1:\(port)
      break tick
      continue
      python
      addr = int(gdb.parse_and_eval("(unsigned long)&buffer"))
      end
      \(measurements(bulkBytes: bulkBytes, roundTrips: roundTrips))
      set $n = 0
      commands 1
      silent
      bt
      set $n = $n + 1
      if $n < \(hits)
      continue
      end
      end
      python T0 = time.perf_counter()
      continue
      python print("BENCH hits %d %.9f" % (int(gdb.parse_and_eval("$n")), time.perf_counter() - T0))
      kill
      """
    try script.write(toFile: dir + "/bench.gdb", atomically: true, encoding: .utf8)
    return try results(try runTool("gdb", ["-batch", "-nx", "-x", dir + "/bench.gdb", dir + "/prog"]))
  }

  /// The same measurements by gdb against kdserver's GDB endpoint on the `bench` scenario, after the kd
  /// measurements (paged pool holds the ballast blocks and nt!PoolHitTag is armed on 'Bnch', whose loop breaks
  /// at every allocation and free): bulk from nt!MmPagedPoolStart, round trips on the halted target, and
  /// `hits` PoolHitTag breaks each followed by `bt` (a Python loop: a break in the target's own code is a
  /// signal, which gdb's breakpoint commands do not see). Symbols come from the endpoint itself.
  static func runAgainstEndpoint(port: UInt16, bulkBytes: Int, roundTrips: Int, hits: Int) throws -> Result {
    let dir = NSTemporaryDirectory() + "bench-gdb-endpoint-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let script = """
      set pagination off
      set confirm off
      target remote 127.0.0.1:\(port)
      python
      addr = int(gdb.parse_and_eval("*(unsigned int *)&MmPagedPoolStart"))
      end
      \(measurements(bulkBytes: bulkBytes, roundTrips: roundTrips))
      python
      gdb.execute("continue", to_string=True)
      n = 0
      T0 = time.perf_counter()
      for i in range(\(hits)):
          gdb.execute("continue", to_string=True)
          if "Bnch" not in gdb.execute("bt", to_string=True):
              raise gdb.GdbError("a break without a Bnch frame")
          n += 1
      print("BENCH hits %d %.9f" % (n, time.perf_counter() - T0))
      end
      detach
      """
    try script.write(toFile: dir + "/bench.gdb", atomically: true, encoding: .utf8)
    return try results(try runTool("gdb", ["-batch", "-nx", "-x", dir + "/bench.gdb"]))
  }

  /// Bulk then round trips, timed inside gdb by Python, from `addr` (set before).
  private static func measurements(bulkBytes: Int, roundTrips: Int) -> String {
    """
    python
    import time
    inf = gdb.selected_inferior()
    t0 = time.perf_counter(); m = inf.read_memory(addr, \(bulkBytes)); t = time.perf_counter() - t0
    print("BENCH bulk %d %.9f" % (len(m), t))
    for i in range(200):
        inf.read_memory(addr + (i * 4096) % \(bulkBytes), 4)
    lat = []
    for i in range(\(roundTrips)):
        a = time.perf_counter(); inf.read_memory(addr + (i * 4096) % \(bulkBytes), 4); lat.append(time.perf_counter() - a)
    lat.sort()
    print("BENCH rt %.9f %.9f" % (lat[len(lat) // 2], lat[min(len(lat) - 1, round((len(lat) - 1) * 0.99))]))
    end
    """
  }

  private static func results(_ output: String) throws -> Result {
    var values: [String: [String]] = [:]
    for line in output.split(separator: "\n") where line.hasPrefix("BENCH ") {
      let f = line.split(separator: " ").map(String.init)
      values[f[1]] = Array(f.dropFirst(2))
    }
    guard let bulk = values["bulk"], let rt = values["rt"], let hit = values["hits"],
      let bulkCount = Int(bulk[0]), let bulkSeconds = Double(bulk[1]), let median = Double(rt[0]),
      let p99 = Double(rt[1]), let hitCount = Int(hit[0]), let hitSeconds = Double(hit[1])
    else { throw BenchError.failed("gdb printed no complete results:\n\(output.suffix(2000))") }
    return Result(
      bulkBytes: bulkCount, bulkSeconds: bulkSeconds, roundTripMedian: median, roundTripP99: p99, hits: hitCount,
      hitSeconds: hitSeconds)
  }

  /// gdbserver prints "Listening on port N" on stderr.
  private static func listeningPort(_ handle: FileHandle) throws -> Int {
    var text = ""
    while true {
      let data = handle.availableData
      guard !data.isEmpty else { throw BenchError.failed("gdbserver exited: \(text)") }
      text += String(decoding: data, as: UTF8.self)
      if let range = text.range(of: "Listening on port ") {
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        if let port = Int(digits), text[range.upperBound...].count > digits.count { return port }
      }
    }
  }

  /// Runs a tool to completion; its stdout (stderr is discarded); throws on a non-zero exit.
  @discardableResult
  static func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: which(tool) ?? tool)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BenchError.failed("\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
  }
}
