import Foundation
import KDTestSupport
import Testing

/// `kd score` (ours) through the real `kd`: on the embedded target (`-d --pace 0`) and on a real
/// `kdserver --break-at-boot --pace 0` over TLS, both halted at boot; the target halts itself at each step of
/// virtual time (HaltAt) and each method is graded against the scenario's ground truth (GetScenarioLeaks).
@Suite struct ScoreTests {
  static func score(_ scenario: String, seconds: Int, remote: Bool = false) throws -> [String] {
    let exe = builtExecutable("kd")
    let args = ["score", "--seconds", "\(seconds)"]
    let r: (status: Int32, stdout: String, stderr: String)
    if remote {
      let (server, port, fingerprint) = try KDServerProcess.start(["--break-at-boot", "--scenario", scenario])
      defer {
        server.process.terminate()
        _ = server.waitExit()
      }
      let run = run(exe, ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "--timeout", "120"] + args)
      r = (run.status, run.stdout, run.stderr)
    } else {
      let run = run(exe, ["-d", "--scenario", scenario, "--pace", "0"] + args)
      r = (run.status, run.stdout, run.stderr)
    }
    #expect(r.status == 0, "kd score failed: \(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    return Array(lines.drop { !$0.hasPrefix("Leak finders against") })
  }

  /// Columns of a method's row after its title: precision, recall, first correct, then the answer.
  static func row(_ title: String, in lines: [String]) -> [String]? {
    lines.first { $0.hasPrefix(" \(title)") }.map {
      $0.dropFirst(27).split(separator: " ", maxSplits: 3).map { $0.trimmingCharacters(in: .whitespaces) }
    }
  }

  static let titles = [
    "tag ranking (!poolused)", "!poolsites LEAKING", "!tagsplit sub-tag growth", "!poolscan lost+GROWING",
  ]

  @Test(arguments: [false, true]) func everyMethodFindsBothLeaksOfTheList(remote: Bool) throws {
    let out = try Self.score("leakList", seconds: 60, remote: remote)
    #expect(out.count == 7, "\(out)")
    #expect(
      out.dropFirst().first?.hasPrefix("Truth: Lst!ListAppend (List, 2 blocks/s, referenced), Lst!ListDrop") == true)
    for title in Self.titles {
      let r = try #require(Self.row(title, in: out), "no \(title) row in \(out)")
      #expect(r[0] == "1.00" && r[1] == "1.00" && r[2] != "never", "\(title): \(r)")
    }
    #expect(try #require(Self.row("tag ranking (!poolused)", in: out))[3] == "List")
    #expect(try #require(Self.row("!poolscan lost+GROWING", in: out))[3] == "Lst!ListAppend, Lst!ListDrop")
  }

  /// Several leaking sites under one tag with noise: the scan names both from the first answer, !poolsites once it
  /// has its windows, and ranking tags by bytes names the noise tag for minutes.
  @Test func theNoiseTagMisleadsTagRankingButNotTheScan() throws {
    let out = try Self.score("leakSites", seconds: 120)
    let scan = try #require(Self.row("!poolscan lost+GROWING", in: out), "\(out)")
    #expect(scan[0] == "1.00" && scan[1] == "1.00" && scan[3] == "Pkt!PktQueueRequest, Pkt!PktTrackSession")
    #expect(scan[2] == "5.000", "\(scan)")
    let sites = try #require(Self.row("!poolsites LEAKING", in: out), "\(out)")
    #expect(sites[0] == "1.00" && sites[1] == "1.00")
    let ranking = try #require(Self.row("tag ranking (!poolused)", in: out), "\(out)")
    #expect(ranking[0] == "0.00" && ranking[1] == "0.00" && ranking[2] == "never" && ranking[3] == "Nois", "\(ranking)")
  }
}
