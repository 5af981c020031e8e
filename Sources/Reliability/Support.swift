import Dispatch
import Foundation
import KDClient
import KDProtocol
import KDTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

// Shared machinery of the suite: the tally of checks, every child process bounded and killed on the way out,
// the kdserver child with its stderr drained, and small timing helpers.

/// Passed and failed checks; `check` may be called from any thread.
final class Tally: Sendable {
  private let counts = Mutex((passed: 0, failed: 0))

  func check(_ ok: Bool, _ what: @autoclosure () -> String) {
    let line: String? = ok ? nil : what()
    counts.withLock { c in
      if ok { c.passed += 1 } else { c.failed += 1 }
    }
    if let line { say("FAIL: \(line)") }
  }

  var passed: Int { counts.withLock { $0.passed } }
  var failed: Int { counts.withLock { $0.failed } }
}

let tally = Tally()

/// Prints a line at once (stdout may be a file or a pipe: never leave output in a buffer a kill would lose).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Pids of every child still running; killed by `killChildren()` on any way out (end, watchdog, signal).
let livingChildren = Mutex<Set<Int32>>([])

func killChildren() {
  for pid in livingChildren.withLock({ $0 }) { kill(pid, SIGKILL) }
}

/// Ends the suite: the closing line, children killed, exit status 1 on any failure.
func finish() -> Never {
  killChildren()
  try? FileManager.default.removeItem(atPath: runDirectory)
  say("\(tally.passed) passed, \(tally.failed) failed")
  exit(tally.failed == 0 ? 0 : 1)
}

/// The whole suite has a deadline: past it, one failure is counted, children are killed, and the suite ends.
/// SIGINT/SIGTERM (e.g. from `timeout`) also kill the children first, so no kdserver or kd is left behind.
func installWatchdog(seconds: Int) {
  DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
    tally.check(false, "watchdog: the suite did not finish within \(seconds) s")
    finish()
  }
  for sig in [SIGINT, SIGTERM] {
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
      tally.check(false, "interrupted by signal \(sig)")
      finish()
    }
    source.resume()
    signalSources.append(source)
  }
}

nonisolated(unsafe) var signalSources: [DispatchSourceSignal] = []

/// Reads a pipe to its end on a thread of its own (a child blocked on a full pipe is how a suite hangs).
final class Drain: Sendable {
  private let data = Mutex(Data())
  private let done = DispatchSemaphore(value: 0)

  init(_ handle: FileHandle, onLine: (@Sendable (String) -> Void)? = nil) {
    let thread = Thread { [self] in
      var partial = Data()
      while true {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        data.withLock { $0.append(chunk) }
        if let onLine {
          partial.append(chunk)
          while let newline = partial.firstIndex(of: 0x0A) {
            onLine(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
          }
        }
      }
      done.signal()
    }
    thread.start()
  }

  /// Everything read so far; after `wait`, everything.
  var text: String { String(decoding: data.withLock { $0 }, as: UTF8.self) }

  func wait(seconds: Double) { _ = done.wait(timeout: .now() + seconds) }
}

/// Result of a bounded child.
struct ChildResult {
  var status: Int32
  var stdout: String
  var stderr: String
  /// Killed by us at the deadline.
  var timedOut: Bool
}

/// A child process started now; `wait(bound:)` kills it (SIGKILL) if it outlives its bound.
final class Child: Sendable {
  let process: Process
  let pid: Int32
  private let out: Drain?
  private let err: Drain?
  private let exited = DispatchSemaphore(value: 0)

  /// Starts `path` with its stdout and stderr collected.
  convenience init(_ path: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = stdout
    process.standardError = stderr
    try self.init(
      adopting: process, out: Drain(stdout.fileHandleForReading), err: Drain(stderr.fileHandleForReading))
  }

  /// Starts a configured process whose pipes (if any) the given drains read.
  init(adopting process: Process, out: Drain? = nil, err: Drain? = nil) throws {
    let exited = self.exited
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    self.process = process
    self.out = out
    self.err = err
    pid = process.processIdentifier
    livingChildren.withLock { _ = $0.insert(process.processIdentifier) }
  }

  func kill9() { kill(pid, SIGKILL) }

  var isRunning: Bool { process.isRunning }

  /// Waits until the child exits, killing it after `bound` seconds.
  func wait(bound: Double) -> ChildResult {
    var timedOut = false
    if exited.wait(timeout: .now() + bound) == .timedOut {
      timedOut = true
      kill9()
      exited.wait()
    }
    livingChildren.withLock { _ = $0.remove(pid) }
    out?.wait(seconds: 5)
    err?.wait(seconds: 5)
    return ChildResult(
      status: process.terminationStatus, stdout: out?.text ?? "", stderr: err?.text ?? "", timedOut: timedOut)
  }
}

/// Runs a child to completion, bounded.
func runBounded(_ path: String, _ arguments: [String], bound: Double) -> ChildResult {
  do {
    return try Child(path, arguments).wait(bound: bound)
  } catch {
    return ChildResult(status: -1, stdout: "", stderr: "cannot start \(path): \(error)", timedOut: false)
  }
}

/// A real `kdserver` child on 127.0.0.1 (port chosen by the system), its stderr read line by line, all kept.
final class ServerChild: Sendable {
  let child: Child
  let port: UInt16
  let fingerprint: String
  private let lines = LineLog()

  init(_ path: String, extra: [String] = []) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments =
      ["--listen", "127.0.0.1:0", "--state-dir", temporaryDirectory("state"), "--pace", "0"] + extra
    // The pipes are drained by Drain threads for the whole life of the process: kdserver logs a line per
    // session and per state-changing request, and a full stderr pipe blocks its logging (and with it, it).
    let stderr = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = stderr
    let lines = self.lines
    let listening = DispatchSemaphore(value: 0)
    let drain = Drain(stderr.fileHandleForReading) { line in
      lines.lines.withLock { $0.append(line) }
      if line.contains("listening on") { listening.signal() }
    }
    child = try Child(adopting: process, err: drain)
    guard listening.wait(timeout: .now() + 30) == .success else {
      child.kill9()
      throw SuiteError("kdserver did not say `listening on` within 30 s")
    }
    let first = lines.lines.withLock { $0.first { $0.contains("listening on") } ?? "" }
    guard let address = first.split(separator: " ").last(where: { $0.hasPrefix("127.0.0.1:") }),
      let port = UInt16(address.dropFirst("127.0.0.1:".count)),
      let fp = first.split(separator: " ").first(where: { $0.hasPrefix("fingerprint=") })
    else {
      child.kill9()
      throw SuiteError("cannot parse kdserver's first line: \(first)")
    }
    self.port = port
    fingerprint = String(fp.dropFirst("fingerprint=".count))
  }

  var pid: Int32 { child.pid }

  /// Arguments that connect `kd` here.
  var kdConnect: [String] { ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint] }

  var tls: TLSClientOptions { TLSClientOptions(fingerprint: fingerprint) }

  /// Every stderr line so far.
  var log: [String] { lines.lines.withLock { $0 } }

  /// The kdserver's resident set size (VmRSS), KiB.
  var rssKiB: Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
    return Int(line.split(separator: " ").dropFirst().first ?? "")
  }

  /// Open file descriptors of the kdserver.
  var openDescriptors: Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
  }

  /// A client session in this process.
  func connect(controller: Bool, breakStackFrames: UInt32 = 64) throws(RemoteError) -> RemoteConnection {
    var options = RemoteConnection.Options(tls: tls)
    options.wantController = controller
    options.clientName = controller ? "reliability controller" : "reliability observer"
    options.breakStackFrames = breakStackFrames
    options.connectTimeout = .seconds(20)
    return try RemoteConnection(host: "127.0.0.1", port: port, options: options)
  }

  /// A controller session, retried while the previous controller is still being removed.
  func connectController(seconds: Double = 10) throws(RemoteError) -> RemoteConnection {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
      do {
        return try connect(controller: true)
      } catch {
        guard case .refused(.deviceBusy, _) = error, Date() < deadline else { throw error }
        usleep(50_000)
      }
    }
  }

  /// SIGTERM, then SIGKILL if it has not exited within 5 s.
  func stop() {
    kill(pid, SIGTERM)
    _ = child.wait(bound: 5)
  }
}

final class LineLog: Sendable {
  let lines = Mutex<[String]>([])
}

struct SuiteError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Every temporary directory of this run, all under one parent that `finish()` removes.
let runDirectory = NSTemporaryDirectory() + "kd-reliability-\(getpid())"

func temporaryDirectory(_ name: String) -> String {
  let path = runDirectory + "/\(name)-\(UUID().uuidString)"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
  let d = ContinuousClock.now - start
  return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func hex(_ v: UInt32) -> String { String(v, radix: 16) }
