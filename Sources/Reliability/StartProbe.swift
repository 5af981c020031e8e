import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

// Scenarios 9-13: a kdserver (or any command) started with arguments of the scenario's choosing, and what it did
// at start: exited (with which status and stderr) or said `listening on`.

/// How a start went.
struct StartOutcome {
  /// The exit status if it exited by itself before `listening on` (nil: it listened, or was killed at the bound).
  var exitStatus: Int32?
  /// The `listening on` line, if it said one.
  var listening: String?
  /// Everything it wrote to stderr (read to the end).
  var stderr: String
  /// Status after our SIGTERM, when it listened.
  var statusAfterTerm: Int32?
  var timedOut: Bool

  /// Refused at start: exited non-zero, below 128 (not a signal, not a trap), without listening.
  var refusedCleanly: Bool {
    guard let s = exitStatus, listening == nil else { return false }
    return s != 0 && s < 128
  }

  var summary: String {
    if let s = exitStatus { return "exit \(s): \(stderr.split(separator: "\n").last ?? "")" }
    if let l = listening { return "listened: \(l)" }
    return timedOut ? "neither exited nor listened within the bound" : "?"
  }
}

/// Starts `path args`; waits up to `bound` s for it to exit or to say `listening on`; a listening child gets SIGTERM
/// (then SIGKILL after 5 s). `onListening` runs while it listens, before the SIGTERM.
func probeStart(
  _ path: String, _ arguments: [String], bound: Double = 30, onListening: ((Int32, String) -> Void)? = nil
) -> StartOutcome {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let stderr = Pipe()
  process.standardInput = FileHandle.nullDevice
  process.standardOutput = FileHandle.nullDevice
  process.standardError = stderr
  let listeningLine = Mutex<String?>(nil)
  let event = DispatchSemaphore(value: 0)
  let drain = Drain(stderr.fileHandleForReading) { line in
    if line.contains("listening on") {
      listeningLine.withLock { $0 = $0 ?? line }
      event.signal()
    }
  }
  let child: Child
  do {
    child = try Child(adopting: process, err: drain)
  } catch {
    return StartOutcome(exitStatus: -1, stderr: "cannot start \(path): \(error)", timedOut: false)
  }
  // Exit or listening, whichever first (polled every 50 ms).
  let deadline = DispatchTime.now() + bound
  while listeningLine.withLock({ $0 }) == nil && process.isRunning && DispatchTime.now() < deadline {
    _ = event.wait(timeout: .now() + 0.05)
  }
  if let line = listeningLine.withLock({ $0 }) {
    onListening?(child.pid, line)
    kill(child.pid, SIGTERM)
    let r = child.wait(bound: 5)
    return StartOutcome(
      exitStatus: nil, listening: line, stderr: r.stderr, statusAfterTerm: r.timedOut ? nil : r.status,
      timedOut: false)
  }
  let r = child.wait(bound: process.isRunning ? 0 : 5)
  return StartOutcome(
    exitStatus: r.timedOut ? nil : r.status, listening: nil, stderr: r.stderr, timedOut: r.timedOut)
}

/// Why `unshare -m` with a mount cannot be used here (nil: it can).
func unshareUnavailable() -> String? {
  guard getuid() == 0 else { return "not root (unshare -m and mount need it)" }
  guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return "no /usr/bin/unshare" }
  let probe = temporaryDirectory("unshare-probe")
  let r = runBounded(
    "/usr/bin/unshare", ["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs probe '\(probe)'"], bound: 20)
  return r.status == 0 ? nil : "unshare -m / mount refused here (status \(r.status)): \(r.stderr)"
}

/// `'s'` for sh.
func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// Writes `text` to `path` with `mode`.
func writeFile(_ path: String, _ text: String, mode: Int) {
  _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
  chmod(path, mode_t(mode))
}

/// A token file's worth of hex (128 bits, more than enough).
func freshToken() -> String {
  (0..<32).map { _ in String(UInt8.random(in: 0...255), radix: 16).leftPadded(2) }.joined()
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
