import Foundation
import KDTestSupport
import Testing

/// The README's first command: `kd` with no `--connect` runs the embedded default target in its own process,
/// attaches over an in-memory link, breaks in and says what to try first.
@Suite struct FirstRunTests {
  @Test func embeddedTargetBreaksInAndAnswersCommands() {
    let kd = builtExecutable("kd")
    let result = run(kd, ["--timeout", "60", "-c", "!gflag; !poolused 4; lm"])
    #expect(result.status == 0, "kd failed: \(result.stderr)")
    #expect(result.stderr.contains("attached to the embedded 'default' target"))
    #expect(result.stderr.contains("docs/WALKTHROUGH.md"))
    #expect(result.stdout.contains("Connected to Windows Server 2003 3790 x86 compatible target"))
    #expect(result.stdout.contains("Break instruction exception - code 80000003 (first chance)"))
    #expect(result.stdout.contains("kd> !poolused 4"))
    // Server 2003 era: tagging is always on, and the drivers have allocated by the time of the break-in.
    #expect(result.stdout.contains("Sorting by Paged Pool Consumed"))
    #expect(result.stdout.contains(" Abc ") && result.stdout.contains(" Abc          (deferred)"))
  }

  /// The embedded target opens no socket and writes no file: checked on the real binary's system calls
  /// (strace, which scripts/install-deps.sh installs), with TMPDIR and HOME pointing at empty directories.
  @Test func embeddedTargetOpensNoSocketAndWritesNoFile() throws {
    let strace = "/usr/bin/strace"
    try #require(FileManager.default.isExecutableFile(atPath: strace), "strace is not installed")
    let scratch = makeTemporaryDirectory("kd-no-files")
    let trace = scratch + "/trace"
    let empty = makeTemporaryDirectory("kd-empty-home")
    let result = run(
      "/usr/bin/env",
      [
        "TMPDIR=\(empty)", "HOME=\(empty)", strace, "-f", "-qq", "-o", trace, "-e",
        "trace=socket,bind,connect,listen,creat,mkdir,mkdirat,openat,open,rename,unlink,unlinkat",
        builtExecutable("kd"), "--timeout", "60", "-c", "lm; !poolused 4",
      ])
    #expect(result.status == 0, "kd failed: \(result.stderr)")
    #expect(result.stdout.contains("Sorting by Paged Pool Consumed"))
    let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
    #expect(calls.count > 10, "strace saw almost nothing: \(calls)")
    let sockets = calls.filter { $0.contains("socket(") || $0.contains("bind(") || $0.contains("listen(") }
    #expect(sockets.isEmpty, "kd opened sockets: \(sockets)")
    let writes = calls.filter {
      ($0.contains("O_CREAT") || $0.contains("O_WRONLY") || $0.contains("O_RDWR") || $0.contains("mkdir")
        || $0.contains("rename") || $0.contains("unlink")) && !$0.contains("/dev/")
    }
    #expect(writes.isEmpty, "kd wrote files: \(writes)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
  }

  @Test func embeddedTargetOptionsChooseTheEra() {
    let kd = builtExecutable("kd")
    let result = run(kd, ["--era", "xp", "--timeout", "60", "-c", "!gflag"])
    #expect(result.status == 0, "kd failed: \(result.stderr)")
    #expect(result.stdout.contains("Connected to Windows XP 2600 x86 compatible target"))
    #expect(result.stdout.contains("Current NtGlobalFlag contents: 0x00000000"))
  }

  @Test func missingScenariosDirectoryIsAClearErrorBelow128() {
    let result = run(builtExecutable("kd"), ["--scenarios", "/nonexistent", "-c", "q"])
    #expect(result.status == 78)
    #expect(result.stderr.contains("no scenarios directory: tried /nonexistent;"), "\(result.stderr)")
  }

  @Test func embeddedTargetOptionsAreRefusedWithConnect() {
    let kd = builtExecutable("kd")
    for option in [["--era", "xp"], ["--scenarios", "/tmp"]] {
      let result = run(kd, ["--connect", "127.0.0.1:9"] + option + ["-c", "q"])
      #expect(result.status != 0)
      #expect(result.stderr.contains("--scenario, --scenarios, --era and --pace choose the embedded target"))
    }
    let bad = run(kd, ["--era", "vista", "-c", "q"])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("--era takes 'xp' or 'server2003', got 'vista'"))
  }
}

/// A token file longer than a hello can carry is refused by kd before it connects (encoding it trapped).
@Suite struct TokenFileTests {
  @Test func anOversizedTokenFileIsRefusedWithItsSize() {
    let directory = makeTemporaryDirectory("kd-token")
    writeFile(directory + "/token", String(repeating: "a", count: 70_000))
    let result = run(
      builtExecutable("kd"),
      [
        "--connect", "127.0.0.1:9", "--fingerprint", String(repeating: "AB:", count: 31) + "AB", "--token-file",
        directory + "/token", "-c", "q",
      ])
    #expect(result.status == 78, "\(result.stderr)")
    #expect(result.stderr.contains("holds 70000 bytes; a hello carries at most 256"), "\(result.stderr)")
  }
}
