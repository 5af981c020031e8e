import Foundation
import KDTestSupport
import Testing

/// `kd`'s command line: `--version`, and one exit status per cause (docs/COMMANDS.md, "Exit status"), each on
/// the real binary.
@Suite struct KDExitStatusTests {
  let kd = builtExecutable("kd")

  @Test func bothBinariesPrintTheirVersion() {
    let client = run(kd, ["--version"])
    #expect(client.status == 0 && client.stdout.hasPrefix("kd 0.1 (swift-kd, protocol 1.0)"), "\(client)")
    let server = run(builtExecutable("kdserver"), ["--version"])
    #expect(server.status == 0 && server.stdout.hasPrefix("kdserver 0.1 (swift-kd, protocol 1.0)"), "\(server)")
  }

  @Test func usageErrorIs64AndHelpListsEveryStatus() {
    let bad = run(kd, ["--no-such-option"])
    #expect(bad.status == 64, "\(bad)")
    let help = run(kd, ["--help"])
    #expect(help.status == 0)
    for line in [
      "Exit status:", "  0  success", " 64  usage error", " 66  --script file not found", " 68  unknown host",
      " 69  connection refused", " 74  connection lost", " 75  timed out", " 76  TLS verification",
      " 77  authentication refused", " 78  a local file",
    ] {
      #expect(help.stdout.contains(line), "kd --help lacks '\(line)': \(help.stdout)")
    }
  }

  /// The script is checked before connecting: port 1 refuses, but the missing script is what is reported.
  @Test func missingScriptIs66BeforeConnecting() {
    let result = run(kd, ["--connect", "127.0.0.1:1", "--script", "/nonexistent/leak.kd"])
    #expect(result.status == 66, "\(result)")
    #expect(result.stderr == "kd: cannot read script '/nonexistent/leak.kd': No such file or directory\n")
  }

  @Test func unknownHostIs68() {
    let result = run(kd, ["--connect", "no-such-host.invalid:7725", "-c", "q"])
    #expect(result.status == 68, "\(result)")
    #expect(result.stderr.hasPrefix("kd: unknown host: cannot resolve \"no-such-host.invalid\""), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  /// One message, said once (it used to read `cannot connect: cannot connect to ...: system: cannot connect to ...`).
  @Test func refusedConnectionIs69WithOneMessage() {
    let result = run(kd, ["--connect", "127.0.0.1:1", "-c", "q"])
    #expect(result.status == 69, "\(result)")
    #expect(
      result.stderr == "kd: cannot connect to 127.0.0.1:1: Connection refused (connect, errno 111)\n",
      "\(result.stderr)")
  }

  /// A self-signed server without --fingerprint: the fingerprint it presented and the flag to pin it, as ssh does.
  @Test func unverifiedServerIs76AndShowsTheFingerprintToPin() throws {
    let (server, port, fingerprint) = try KDServerProcess.start()
    defer { server.process.terminate() }
    let result = run(kd, ["--connect", "127.0.0.1:\(port)", "-c", "q"])
    #expect(result.status == 76, "\(result)")
    #expect(result.stderr.hasPrefix("kd: cannot verify the server 127.0.0.1:\(port): "), "\(result.stderr)")
    #expect(
      result.stderr.contains("  kd --connect 127.0.0.1:\(port) --fingerprint \(fingerprint)\n"), "\(result.stderr)")
    let wrong = run(
      kd,
      [
        "--connect", "127.0.0.1:\(port)", "--fingerprint",
        "SHA256:" + Array(repeating: "00", count: 32).joined(separator: ":"), "-c", "q",
      ])
    #expect(wrong.status == 76, "\(wrong)")
    #expect(wrong.stderr.contains("does not match the pinned"), "\(wrong.stderr)")
  }

  @Test func refusedTokenIs77() throws {
    let directory = makeTemporaryDirectory("kd-exit-token")
    writeFile(directory + "/token", "0123456789abcdef0123456789abcdef\n")
    let (server, port, fingerprint) = try KDServerProcess.start(["--token-file", directory + "/token"])
    defer { server.process.terminate() }
    let result = run(kd, ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "-c", "q"])
    #expect(result.status == 77, "\(result)")
    #expect(result.stderr.contains("no token"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
  }

  /// After `--timeout` the script stops with 75: the commands after the `g` do not run.
  @Test func timeoutStopsTheScriptWith75() {
    let directory = makeTemporaryDirectory("kd-exit-timeout")
    writeFile(directory + "/run.kd", "g\nr\n? 1\n")
    let result = run(kd, ["--timeout", "1", "--script", directory + "/run.kd"])
    #expect(result.status == 75, "\(result)")
    #expect(result.stdout.contains("Timed out waiting for the target to break"), "\(result.stdout)")
    #expect(
      !result.stdout.contains("break in first") && !result.stdout.contains("Evaluate expression"), "\(result.stdout)")
    let line = run(kd, ["--timeout", "1", "-c", "g; r; ? 1"])
    #expect(line.status == 75, "\(line)")
    #expect(!line.stdout.contains("break in first") && !line.stdout.contains("Evaluate expression"), "\(line.stdout)")
  }

  /// The server goes away while a script waits in `g`: 74, and the rest of the script does not run.
  @Test func lostConnectionStopsTheScriptWith74() throws {
    let (server, port, fingerprint) = try KDServerProcess.start()
    let directory = makeTemporaryDirectory("kd-exit-lost")
    writeFile(directory + "/run.kd", "g\nr\n? 1\n")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: kd)
    process.arguments = [
      "--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "--timeout", "60", "--script",
      directory + "/run.kd",
    ]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    #expect(server.line(containing: "audit: session attached") != nil, "\(server.stderr)")
    server.process.terminate()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 74, "\(stdout)\n\(stderr)")
    #expect(!stdout.contains("break in first") && !stdout.contains("Evaluate expression"), "\(stdout)")
  }

  @Test func failedCommandWithStopOnErrorIs1() {
    let result = run(kd, ["--stop-on-error", "-c", "db nt!NoSuchSymbol; ? 1"])
    #expect(result.status == 1, "\(result)")
    #expect(!result.stdout.contains("Evaluate expression"))
    let goesOn = run(kd, ["-c", "db nt!NoSuchSymbol; ? 1"])
    #expect(goesOn.status == 0 && goesOn.stdout.contains("Evaluate expression: 1 = 00000001"), "\(goesOn)")
  }
}
