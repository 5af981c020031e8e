// `reliability`: the faults-and-load suite (docs/RELIABILITY.md). Slow; not part of `swift test`.
// Usage: swift run -c release reliability [--quick] [--only 1,2,3]
// It runs the `kd` and `kdserver` built beside it: build them first (docs/RELIABILITY.md has the command).
import Foundation

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let only: Set<Int> =
  if let at = arguments.firstIndex(of: "--only"), at + 1 < arguments.count {
    Set(arguments[at + 1].split(separator: ",").compactMap { Int($0) })
  } else {
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
  }
let binDir = URL(fileURLWithPath: arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
let kd = binDir + "/kd"
let kdserver = binDir + "/kdserver"

for tool in [kd, kdserver] where !FileManager.default.isExecutableFile(atPath: tool) {
  say("\(tool) is missing: build it first (swift build -c release --product \((tool as NSString).lastPathComponent))")
  exit(1)
}
installWatchdog(seconds: quick ? 300 : 900)
let suiteStart = ContinuousClock.now
say(
  "reliability suite (\(quick ? "--quick" : "full")), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
    + "kdserver \(kdserver)")

func withServer(_ scenario: Int, _ extra: [String] = [], _ body: (ServerChild) -> Void) {
  guard only.contains(scenario) else { return }
  let server: ServerChild
  do {
    server = try ServerChild(kdserver, extra: extra)
  } catch {
    tally.check(false, "scenario \(scenario): cannot start kdserver: \(error)")
    return
  }
  body(server)
  server.stop()
}

withServer(1) { scenario1($0, kd: kd, iterations: quick ? 10 : 100) }
withServer(2, ["--max-observers", "64"]) { scenario2($0, breaks: quick ? 1_000 : 10_000, observers: 63) }
withServer(3, ["--max-connections", "128", "--max-pending-per-source", "64", "--refusal-log-seconds", "1"]) {
  scenario3($0, hostile: quick ? 150 : 1_000, parallel: 40)
}
// At the scenario's own pace: at --pace 0 the leaking driver alone grows kdserver by ~20 MB/s, hiding what
// the transport holds.
withServer(4, ["--pace", "1"]) { scenario4($0, requests: quick ? 500 : 3_000) }
withServer(5, ["--pace", "1", "--max-observers", "64"]) {
  scenario5($0, connections: quick ? 20 : 60, reads: quick ? 10_000 : 40_000)
}
withServer(6, ["--refusal-log-seconds", "1"]) { scenario6($0, held: quick ? 300 : 1_000, duration: quick ? 8 : 30) }
withServer(7, ["--pace", "1"]) { scenario7($0, observers: 4, window: quick ? 3 : 5) }
withServer(8) { scenario8($0, passes: quick ? 1 : 3) }
if only.contains(9) { scenario9(kdserver: kdserver, binDir: binDir, buffers: quick ? 40 : 300) }
withServer(10, scenario10Arguments()) { scenario10($0, rounds: quick ? 3 : 20) }
if only.contains(11) { scenario11(kdserver: kdserver) }
if only.contains(12) { scenario12(kdserver: kdserver) }
if only.contains(13) { scenario13(binDir: binDir) }
say("total \(String(format: "%.0f", seconds(since: suiteStart))) s")
finish()
