import Foundation
import KDTestSupport
import Testing

/// `!poolsites` and `!tagsplit` (ours) through the real `kd`, on the embedded target (`-d --pace 0`) and on a
/// real `kdserver --break-at-boot --pace 0` over TLS: both halt at boot, so breakpoints with pass counts advance
/// every run to the same point.
@Suite struct PoolSitesTests {
  /// Runs a kd script (lines) on a fresh target of `scenario`; `remote` uses a real kdserver over TLS. `targetOptions`
  /// go to the embedded target's kd, or to kdserver (options both take, such as `--verifier`).
  static func kd(
    _ lines: [String], remote: Bool = false, scenario: String = "default", targetOptions: [String] = []
  ) throws -> String {
    let path = makeTemporaryDirectory("poolsites") + "/script.kd"
    writeFile(path, lines.joined(separator: "\n") + "\n")
    let exe = builtExecutable("kd")
    guard remote else {
      let r = run(
        exe, ["-d", "--pace", "0", "--scenario", scenario, "--timeout", "120", "--script", path] + targetOptions)
      #expect(r.status == 0, "kd failed: \(r.stderr)")
      return r.stdout
    }
    let (server, port, fingerprint) = try KDServerProcess.start(
      ["--break-at-boot", "--scenario", scenario] + targetOptions)
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let r = run(
      exe, ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "-b", "--timeout", "120", "--script", path])
    #expect(r.status == 0, "kd failed: \(r.stderr)")
    return r.stdout
  }

  /// The output of `command` in a transcript: the lines after its prompt, up to the next prompt.
  static func output(of command: String, in transcript: String, occurrence: Int = 0) -> [String] {
    let lines = transcript.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let starts = lines.indices.filter { lines[$0].hasSuffix("> " + command) }
    guard occurrence < starts.count else { return [] }
    return Array(lines[(starts[occurrence] + 1)...].prefix { !$0.contains("kd> ") })
  }

  /// A site's row: the line naming `site` as the call site.
  static func row(_ site: String, in lines: [String]) -> [String]? {
    lines.first { $0.contains(" \(site)+") }?.split(separator: " ").map(String.init)
  }

  static let advance = ["bp nt!ExFreePoolWithTag 2000", "g", "bc *"]

  @Test(arguments: [false, true]) func namesTheLeakingSiteAndTheBoundedOnes(remote: Bool) throws {
    let t = try Self.kd(Self.advance + ["!poolsites Abc"], remote: remote)
    let out = Self.output(of: "!poolsites Abc", in: t)
    let leak = try #require(Self.row("Abc!AbcLogEvent", in: out), "no AbcLogEvent row in:\n\(t)")
    #expect(leak[3] == "LEAKING", "\(out)")
    for bounded in ["Abc!AbcBuildRequest", "Abc!AbcCacheInsert"] {
      let r = try #require(Self.row(bounded, in: out), "no \(bounded) row in:\n\(t)")
      #expect(r[3] == "bounded", "\(out)")
    }
    // Ranked: the leaking site first, its stack under it (the worker that called it, then nt's thread start).
    let first = try #require(out.firstIndex { $0.hasPrefix(" Abc ") })
    #expect(out[first].contains("Abc!AbcLogEvent+"))
    #expect(out[first + 1].trimmingCharacters(in: .whitespaces).hasPrefix("Abc!AbcLogWorker+"))
    #expect(out[first + 2].trimmingCharacters(in: .whitespaces).hasPrefix("nt!PspSystemThreadStartup+"))
    // The three sites together hold what !poolused counts for the tag.
    let t2 = try Self.kd(Self.advance + ["!poolsites Abc", "!poolused 0 Abc"], remote: remote)
    let sites = Self.output(of: "!poolsites Abc", in: t2).filter { $0.hasPrefix(" Abc ") }
    let blocks = sites.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +)
    let bytes = sites.compactMap { Int($0.split(separator: " ")[2]) }.reduce(0, +)
    let used = try #require(Self.output(of: "!poolused 0 Abc", in: t2).first { $0.hasPrefix(" Abc ") })
    let u = used.split(separator: " ").compactMap { Int($0) }
    #expect(sites.count == 3)
    #expect(blocks == u[2] && bytes == u[3], "\(sites) vs \(used)")
  }

  @Test func snapshotsDiffInVirtualTime() throws {
    let t = try Self.kd(
      Self.advance + [
        "!poolsites -snap A", "bp nt!ExFreePoolWithTag 1000", "g", "bc *", "!poolsites -snap B",
        "!poolsites -diff A B", "!poolsites -diff A C",
      ])
    let a = Self.output(of: "!poolsites -snap A", in: t).joined()
    let b = Self.output(of: "!poolsites -snap B", in: t).joined()
    func time(_ s: String) -> Double? {
      (s.firstMatch(of: #/at (\d+\.\d+) s virtual/#)?.output.1).flatMap { Double($0) }
    }
    let (ta, tb) = (try #require(time(a)), try #require(time(b)))
    #expect(tb > ta)
    let diff = Self.output(of: "!poolsites -diff A B", in: t)
    // The log grows by one block every 40 ms of virtual time: the diff's top row, with that many blocks.
    let top = try #require(diff.dropFirst(2).first).split(separator: " ").map(String.init)
    #expect(top.last?.hasPrefix("Abc!AbcLogEvent+") == true, "\(diff)")
    let grew = try #require(Int(top[3]))
    #expect(abs(Double(grew) - (tb - ta) / 0.040) <= 2, "\(diff)")
    #expect(Self.output(of: "!poolsites -diff A C", in: t).joined().contains("no snapshot named C (taken: A, B"))
  }

  /// `!tagsplit Abc` gives the same counts as patching the three push immediates with `ed` at the same point of
  /// the same deterministic run (the seed's method), and `-off` leaves the counts of a run that never split.
  @Test func tagSplitMatchesTheEdPatchAndMergesBackExactly() throws {
    let later = ["bp nt!ExFreePoolWithTag 1000", "g", "bc *", "!poolused 0 Ab*", "!poolfind Ab3 1"]
    let split = try Self.kd(Self.advance + ["!tagsplit Abc"] + later + ["!tagsplit -off Abc", "!poolused 0 Ab*"])
    let patched = try Self.kd(
      Self.advance + [
        "ed Abc!AbcBuildRequest+4 ' 1bA'", "ed Abc!AbcCacheInsert+4 ' 2bA'", "ed Abc!AbcLogEvent+8 ' 3bA'",
      ] + later)
    let plain = try Self.kd(Self.advance + ["bp nt!ExFreePoolWithTag 1000", "g", "bc *", "!poolused 0 Ab*"])

    // The split named the sites as the patches do.
    let assigned = Self.output(of: "!tagsplit Abc", in: split)
    for (sub, site) in [("Ab1", "AbcBuildRequest"), ("Ab2", "AbcCacheInsert"), ("Ab3", "AbcLogEvent")] {
      #expect(assigned.contains { $0.hasPrefix(" \(sub)   Abc   Abc!\(site)+") }, "\(assigned)")
    }
    let usedSplit = Self.output(of: "!poolused 0 Ab*", in: split)
    #expect(usedSplit.contains { $0.hasPrefix(" Ab3 ") })
    #expect(usedSplit == Self.output(of: "!poolused 0 Ab*", in: patched))
    let found = Self.output(of: "!poolfind Ab3 1", in: split).filter { $0.contains("Ab3") }
    let foundPatched = Self.output(of: "!poolfind Ab3 1", in: patched).filter { $0.contains("Ab3") }
    #expect(found.filter { $0.contains("(Allocated)") }.count > 100)
    #expect(found == foundPatched, "\(found.count) lines split, \(foundPatched.count) patched")
    // Merged back: the table of a run that never split, and the blocks carry Abc again.
    let merged = Self.output(of: "!poolused 0 Ab*", in: split, occurrence: 1)
    #expect(merged == Self.output(of: "!poolused 0 Ab*", in: plain))
    #expect(merged.contains { $0.hasPrefix(" Abc ") } && !merged.contains { $0.hasPrefix(" Ab3 ") })
  }
}
