import Foundation
import KDClient
import KDTestSupport
import KDTransport
import Testing

/// Debian's real `gdb` (batch mode) against a real `kdserver --gdb-listen`: the seed's PoolHitTag step, stacks
/// through the driver's frames with symbols served by the target, breakpoints, watchpoints, threads, detach.
@Suite(.serialized) struct GDBEndpointTests {
  static let gdbPath = "/usr/bin/gdb"

  /// A kdserver with the GDB endpoint on a free loopback port.
  func start(_ extra: [String] = []) throws -> (KDServerProcess, kdPort: UInt16, fingerprint: String, gdbPort: UInt16) {
    let (child, port, fingerprint) = try KDServerProcess.start(["--gdb-listen", "127.0.0.1:0"] + extra)
    guard let line = child.line(containing: "gdb-remote listening on"),
      let gdbPort = line.split(separator: ":").last.flatMap({ UInt16($0) })
    else { throw TestFailure("no 'gdb-remote listening on' line: \(child.stderr)") }
    return (child, port, fingerprint, gdbPort)
  }

  /// Runs gdb in batch mode on `commands` (one per line) after connecting; returns its stdout and stderr.
  func gdb(port: UInt16, _ commands: [String]) -> String {
    let script = makeTemporaryDirectory("gdb") + "/commands.gdb"
    writeFile(
      script,
      (["set pagination off", "set confirm off", "target remote 127.0.0.1:\(port)"] + commands)
        .joined(separator: "\n") + "\n")
    let result = run(Self.gdbPath, ["-batch", "-nx", "-x", script])
    return result.stdout + result.stderr
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gdbPath)))
  func theSeedsPoolHitTagStepInGDB() throws {
    let (child, _, _, gdbPort) = try start()
    defer { child.process.terminate() }
    let out = gdb(
      port: gdbPort,
      [
        "info registers eip esp", "x/4xb &PoolHitTag", "set {int}&PoolHitTag = 0x20636241", "x/4xb &PoolHitTag",
        "continue", "bt", "x/i $pc", "info threads", "info sharedlibrary",
      ])
    // The tag reads back as written: 'Abc '.
    #expect(out.contains("0x804da000 <PoolHitTag>:\t0x0f\t0xff\t0xff\t0xff"), "\(out)")
    #expect(out.contains(":\t0x41\t0x62\t0x63\t0x20"), "\(out)")
    // The PoolHitTag break: int 3 in nt's allocator or free, a stack through an Abc function, symbols from the
    // target's own files.
    #expect(out.contains("received signal SIGTRAP"), "\(out)")
    #expect(
      out.range(
        of: #"#0  0x[0-9a-f]+ in ExAllocatePoolWithTag|#0  0x[0-9a-f]+ in ExFreePoolWithTag"#,
        options: .regularExpression) != nil, "\(out)")
    #expect(
      out.range(
        of: #"in Abc[A-Za-z]+ \(\) from target:/SystemRoot/system32/drivers/Abc.sys"#,
        options: .regularExpression) != nil, "\(out)")
    #expect(out.contains("int3"), "\(out)")
    #expect(out.contains("\"Abc!AbcLogWorker\" (Cid 0x24"), "\(out)")
    #expect(out.contains("0xf7a00000  0xf7a05000  Yes (*)     target:/SystemRoot/system32/drivers/Abc.sys"), "\(out)")
    #expect(out.contains("[Inferior 1 (Remote target) detached]"), "\(out)")
    #expect(child.line(containing: "audit: gdb session attached as controller") != nil)
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gdbPath)))
  func breakpointsWatchpointsAndDetach() throws {
    let (child, _, _, gdbPort) = try start()
    defer { child.process.terminate() }
    let out = gdb(
      port: gdbPort,
      [
        "break AbcLogEvent", "continue", "bt 2", "delete", "watch *(int *)&LogSequence", "continue", "continue",
        "delete", "hbreak AbcCacheInsert", "continue", "delete", "detach",
      ])
    // gdb puts a breakpoint on a function after its prologue (push ebp; mov ebp,esp; push esi: +4).
    #expect(out.contains("Breakpoint 1 at 0xf7a01044"), "\(out)")
    #expect(out.contains("hit Breakpoint 1, 0xf7a01044 in AbcLogEvent () from target:"), "\(out)")
    #expect(out.contains("in AbcLogWorker ()"), "\(out)")
    #expect(out.contains("Hardware watchpoint 2: *(int *)&LogSequence"), "\(out)")
    // Two hits, each one more than the last, stopped right after the store in AbcLogEvent.
    let values = out.matches(of: #/New value = (\d+)/#).compactMap { Int($0.1) }
    #expect(values.count == 2 && values[1] == values[0] + 1, "\(out)")
    #expect(out.contains("hit Hardware watchpoint 2: *(int *)&LogSequence"), "\(out)")
    #expect(out.contains("Hardware assisted breakpoint 3 at 0xf7a01023"), "\(out)")
    #expect(out.contains("hit Breakpoint 3, 0xf7a01023 in AbcCacheInsert ()"), "\(out)")
    #expect(out.contains("[Inferior 1 (Remote target) detached]"), "\(out)")
    #expect(child.line(containing: "audit: gdb client detached") != nil)
  }

  /// One controller across protocols: with a KD controller attached, gdb is refused (E reply, log line).
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gdbPath)))
  func gdbIsRefusedWhileAKDControllerHoldsTheTarget() throws {
    let (child, port, fingerprint, gdbPort) = try start()
    defer { child.process.terminate() }
    var options = RemoteConnection.Options(tls: TLSClientOptions(fingerprint: fingerprint))
    options.connectTimeout = .seconds(20)
    let kd = try RemoteConnection(host: "127.0.0.1", port: port, options: options)
    #expect(kd.isController)
    let out = gdb(port: gdbPort, ["info registers eip"])
    #expect(out.contains("E01") || out.contains("Remote connection closed") || out.contains("Remote failure"), "\(out)")
    #expect(!out.contains("eip            0x"), "\(out)")
    #expect(child.line(containing: "gdb client refused") != nil)
  }

  static let lldbPath = "/usr/bin/lldb-14"

  /// LLDB (Debian's lldb-14) does the same step: registers, the tag written and read back at nt!PoolHitTag
  /// (0x804da000, as gdb's test above finds it by name), continue to the break, a stack through Abc.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: lldbPath)))
  func theSeedsPoolHitTagStepInLLDB() throws {
    let (child, _, _, gdbPort) = try start()
    defer { child.process.terminate() }
    let commands = [
      "gdb-remote 127.0.0.1:\(gdbPort)", "register read eip", "memory write -s 4 0x804da000 0x20636241",
      "memory read -s1 -c4 0x804da000", "process continue", "bt", "process detach",
    ]
    // In batch mode LLDB may take a stop by signal (the PoolHitTag int 3 is a SIGTRAP to it) as a crash and run
    // the -k commands instead of the rest of the -o ones: both lists end with the stack and the detach.
    let afterStop = ["bt", "process detach"]
    let result = run(
      Self.lldbPath, ["-b", "--no-lldbinit"] + commands.flatMap { ["-o", $0] } + afterStop.flatMap { ["-k", $0] })
    let out = result.stdout + result.stderr
    #expect(out.contains("stop reason = signal SIGINT"), "\(out)")
    #expect(out.range(of: #"eip = 0x[0-9a-f]{8}"#, options: .regularExpression) != nil, "\(out)")
    #expect(out.contains("0x804da000: 41 62 63 20"), "\(out)")
    #expect(out.contains("stop reason = signal SIGTRAP"), "\(out)")
    #expect(out.range(of: #"frame #[12]: 0xf7a0[0-9a-f]{4}"#, options: .regularExpression) != nil, "\(out)")
    #expect(out.contains("detached"), "\(out)")
  }

  @Test func theEndpointIsLoopbackOnly() throws {
    let child = try KDServerProcess([
      "--listen", "127.0.0.1:0", "--gdb-listen", "0.0.0.0:0", "--state-dir", makeTemporaryDirectory("gdb-any"),
    ])
    #expect(child.waitExit() == 1)
    #expect(child.stderr.contains("refusing --gdb-listen 0.0.0.0:0"), "\(child.stderr)")
    #expect(child.stderr.contains("ssh -L or stunnel"))
  }
}
