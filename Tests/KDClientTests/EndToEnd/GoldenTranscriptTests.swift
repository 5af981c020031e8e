import Foundation
import KDTestSupport
import Testing

/// Golden transcripts: each script in Tests/KDClientTests/Golden (the seed's walkthrough and one per command
/// family) runs through the real `kd` on a target halted at boot and run as fast as possible (`-d --pace 0`: a
/// fixed scenario, seed and virtual clock, so every run is the same), on the embedded target and on a real
/// `kdserver --break-at-boot` over TLS, and its transcript must equal the checked-in `.txt` beside it, whose
/// layouts were checked line by line against KD's (../shared/reference/windbg-commands.md). A difference fails
/// with a unified diff. Only the host's wall-clock times are masked. `KD_UPDATE_GOLDEN=1` rewrites the files.
@Suite struct GoldenTranscriptTests {
  static let directory = packageRoot.appendingPathComponent("Tests/KDClientTests/Golden")

  static let scripts: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".kd") || $0.hasSuffix(".stdin") }.sorted()
  }()

  /// The host's clock (when kd connected, when `.reboot` ran, `.lastevent`'s and `.time`'s debugger time) and the
  /// checkout's directory (in `  in script PATH:LINE`) are all that differ from run to run; everything else comes
  /// from the target.
  static func masked(_ transcript: String) -> String {
    let clockLines = ["Connected to ", "Shutdown occurred at ", "debugger time: ", "Debug session time: "]
    let date = #/[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(\.\d{3})? \d{4}/#
    // A failure inside a script names the script's path, which is where the checkout is: keep only its name.
    let scriptPath = #/in script .*\/([^\/]+:\d+)$/#
    return transcript.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      if clockLines.contains(where: { line.contains($0) }) { return String(line.replacing(date, with: "<host time>")) }
      return String(line.replacing(scriptPath) { "in script " + $0.1 })
    }.joined(separator: "\n")
  }

  /// A `.kd` file runs as `--script FILE`; a `.stdin` file is piped to kd's standard input, as a console session
  /// whose transcript reads like an interactive one (empty lines repeat the last command).
  static func run(_ script: String, _ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    let path = directory.appendingPathComponent(script).path
    let kd = builtExecutable("kd")
    guard script.hasSuffix(".stdin") else { return KDTestSupport.run(kd, arguments + ["--script", path]) }
    return KDTestSupport.run(kd, arguments, input: FileManager.default.contents(atPath: path) ?? Data())
  }

  static func transcriptName(_ script: String) -> String {
    (script as NSString).deletingPathExtension + ".txt"
  }

  /// Compares with the checked-in transcript; a difference is reported as `diff -u expected actual`.
  static func compare(_ actual: String, with script: String, via: String) throws {
    let expectedPath = directory.appendingPathComponent(transcriptName(script)).path
    if ProcessInfo.processInfo.environment["KD_UPDATE_GOLDEN"] == "1" {
      try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
      return
    }
    let expected = try #require(
      try? String(contentsOfFile: expectedPath, encoding: .utf8), "\(expectedPath) is missing (KD_UPDATE_GOLDEN=1)")
    guard actual != expected else { return }
    let actualPath = makeTemporaryDirectory("golden") + "/" + transcriptName(script)
    writeFile(actualPath, actual)
    let diff = KDTestSupport.run("/usr/bin/diff", ["-u", expectedPath, actualPath]).stdout
    Issue.record("\(script) via \(via) differs from its golden transcript:\n\(diff)")
  }

  @Test(arguments: scripts) func embeddedTarget(script: String) throws {
    let r = Self.run(script, ["-d", "--pace", "0", "--timeout", "120"])
    #expect(r.status == 0, "kd failed: \(r.stderr)")
    try Self.compare(Self.masked(r.stdout), with: script, via: "the embedded target")
  }

  @Test(arguments: scripts) func remoteKDServer(script: String) throws {
    let (server, port, fingerprint) = try KDServerProcess.start(["--break-at-boot"])
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let r = Self.run(
      script, ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "-b", "--timeout", "120"])
    #expect(r.status == 0, "kd failed: \(r.stderr)")
    guard ProcessInfo.processInfo.environment["KD_UPDATE_GOLDEN"] != "1" else { return }
    try Self.compare(Self.masked(r.stdout), with: script, via: "kdserver over TLS")
  }

  @Test func masksOnlyTheHostClock() {
    let line =
      "Connected to Windows XP 2600 x86 compatible target at (Mon Dec  7 15:30:45.688 2026 (UTC + 0:00)), ptr64 FALSE"
    #expect(
      Self.masked(line)
        == "Connected to Windows XP 2600 x86 compatible target at (<host time> (UTC + 0:00)), ptr64 FALSE")
    // A time computed from the target (`.formats`) is compared as it is.
    #expect(Self.masked("  Time:    Sat Sep 11 00:13:56 2004") == "  Time:    Sat Sep 11 00:13:56 2004")
    #expect(
      Self.masked("  in script /tmp/ci-clone/Tests/KDClientTests/Golden/08-expressions.kd:11")
        == "  in script 08-expressions.kd:11")
  }
}
