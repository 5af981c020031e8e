// `reliability`: the faults-and-load suite (docs/RELIABILITY.md). Slow; not part of `swift test`.
// Usage: swift run -c release reliability [--quick]
import Foundation
import KDTestSupport

let quick = CommandLine.arguments.contains("--quick")
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
let kd = binDir + "/kd"
var passed = 0
var failed = 0

@MainActor func check(_ ok: Bool, _ what: String) {
  if ok {
    passed += 1
  } else {
    failed += 1
    print("FAIL: \(what)")
  }
}

// A real kdserver process on loopback.
let serverProcess = Process()
serverProcess.executableURL = URL(fileURLWithPath: binDir + "/kdserver")
serverProcess.arguments = [
  "--listen", "127.0.0.1:0", "--state-dir", makeTemporaryDirectory("reliability"), "--pace", "0",
]
let errPipe = Pipe()
serverProcess.standardError = errPipe
serverProcess.standardOutput = FileHandle.nullDevice
try serverProcess.run()
var firstLine = ""
while !firstLine.contains("listening on") {
  let data = errPipe.fileHandleForReading.availableData
  if data.isEmpty {
    print("kdserver exited")
    exit(1)
  }
  firstLine += String(decoding: data, as: UTF8.self)
}
let listenLine = firstLine.split(separator: "\n").first { $0.contains("listening on") }!
let port = listenLine.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }!
let fingerprint = listenLine.split(separator: " ").first { $0.hasPrefix("fingerprint=") }!.dropFirst(12)
let connect = ["--connect", String(port), "--fingerprint", String(fingerprint), "--timeout", "30"]

/// Scenario 1: SIGKILL a `kd` child at a random point of a state-changing script; a fresh client checks the state.
/// The script halts the target, writes a scratch dword, then arms PoolHitTag with an unused tag (in that order),
/// then reads for a while. After the kill every item must hold its old or its new value, in script order
/// (a later write never without the earlier ones), and the target is halted once the script got past the break-in.
let scratch = "804daf00"
let iterations = quick ? 10 : 100
var previous = (scratch: UInt32(0), tag: UInt32(0))
_ = run(kd, connect + ["-c", ".runfor 0; ed \(scratch) 0; ed nt!PoolHitTag 0"])
var kills = 0
for i in 0..<iterations {
  let value = UInt32(0x5100_0000) | UInt32(i)
  let tag = UInt32(0x7a71_3030) &+ UInt32(i)  // "00qz"+i: never allocated
  let script = makeTemporaryDirectory("script") + "/s.kd"
  writeFile(
    script,
    ".runfor 0\ned \(scratch) \(String(value, radix: 16))\ned nt!PoolHitTag \(String(tag, radix: 16))\n"
      + String(repeating: "r\nkb\n!poolused 4\nlm\n", count: 200))
  let child = Process()
  child.executableURL = URL(fileURLWithPath: kd)
  child.arguments = connect + ["--script", script]
  child.standardOutput = FileHandle.nullDevice
  child.standardError = FileHandle.nullDevice
  try child.run()
  usleep(UInt32.random(in: 0...600_000))
  if child.isRunning {
    kill(child.processIdentifier, SIGKILL)
    kills += 1
  }
  child.waitUntilExit()
  // A fresh client: its attach banner says halted or not; the reads give the items.
  var verify = run(kd, connect + ["-c", "dd \(scratch) L1; dd nt!PoolHitTag L1"])
  for _ in 0..<20 where verify.status == 2 {  // the killed controller may not be gone yet
    usleep(100_000)
    verify = run(kd, connect + ["-c", "dd \(scratch) L1; dd nt!PoolHitTag L1"])
  }
  let words = verify.stdout.split(separator: "\n").filter { $0.hasPrefix("804da") && !$0.contains("!") }
    .compactMap { $0.split(separator: " ").dropFirst().first.flatMap { UInt32($0, radix: 16) } }
  guard words.count == 2 else {
    check(false, "iteration \(i): verifier could not read: \(verify.stdout.suffix(300)) \(verify.stderr)")
    continue
  }
  let (s, t) = (words[0], words[1])
  let halted = verify.stdout.contains("Break instruction exception")
  let itemsOK = (s == previous.scratch || s == value) && (t == previous.tag || t == tag) && (t != tag || s == value)
  check(itemsOK, "iteration \(i): scratch \(String(s, radix: 16)) tag \(String(t, radix: 16)) out of order")
  check(s != value || halted, "iteration \(i): scratch written but target not halted")
  previous = (s, t)
}
print("scenario 1: \(iterations) kd runs, \(kills) killed by SIGKILL mid-session")

serverProcess.terminate()
serverProcess.waitUntilExit()
print("\(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
