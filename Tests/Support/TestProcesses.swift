import Foundation

// Helpers shared by the test targets that run real processes.

public struct TestFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

public func makeTemporaryDirectory(_ name: String) -> String {
  let path = NSTemporaryDirectory() + "kdserver-\(name)-\(UUID().uuidString)"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

public func writeFile(_ path: String, _ text: String) {
  _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
}

/// The package root, for scripts and built executables.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// The built `kdserver` executable next to this test bundle.
public func builtExecutable(_ name: String) -> String {
  let besideBundle = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path
  if FileManager.default.isExecutableFile(atPath: besideBundle) { return besideBundle }
  for candidate in [".build/debug/", ".build/release/"] {
    let path = packageRoot.appendingPathComponent(candidate + name).path
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return besideBundle
}

/// Runs a tool to completion with `input` on stdin.
@discardableResult
public func run(_ path: String, _ arguments: [String], input: Data = Data()) -> (
  status: Int32, stdout: String, stderr: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stderr
  do { try process.run() } catch { return (-1, "", "\(error)") }
  stdin.fileHandleForWriting.write(input)
  try? stdin.fileHandleForWriting.close()
  let out = stdout.fileHandleForReading.readDataToEndOfFile()
  let err = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// A real `kdserver` child process whose stderr is collected.
public final class KDServerProcess: @unchecked Sendable {
  // @unchecked Sendable: `output` is only touched under `lock`.
  public let process = Process()
  let lock = NSLock()
  var output = ""

  /// `wrapper` runs it through another command (e.g. `ip netns exec NAME`).
  public init(_ arguments: [String], wrapper: [String] = []) throws {
    if wrapper.isEmpty {
      process.executableURL = URL(fileURLWithPath: builtExecutable("kdserver"))
      process.arguments = arguments
    } else {
      process.executableURL = URL(fileURLWithPath: wrapper[0])
      process.arguments = Array(wrapper.dropFirst()) + [builtExecutable("kdserver")] + arguments
    }
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    pipe.fileHandleForReading.readabilityHandler = { [self] handle in
      let data = handle.availableData
      lock.lock()
      output += String(decoding: data, as: UTF8.self)
      lock.unlock()
    }
    try process.run()
  }

  public var stderr: String {
    lock.lock()
    defer { lock.unlock() }
    return output
  }

  /// Waits (bounded) for a line containing `text` and returns it.
  public func line(containing text: String, seconds: Double = 60) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let line = stderr.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
      if !process.isRunning {
        usleep(100_000)  // let the last output arrive
        return stderr.split(separator: "\n").first(where: { $0.contains(text) }).map(String.init)
      }
      usleep(20_000)
    }
    return nil
  }

  public func waitExit(seconds: Double = 30) -> Int32? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    return process.isRunning ? nil : process.terminationStatus
  }

  deinit { if process.isRunning { process.terminate() } }

  public static func start(_ extra: [String] = [], listen: String = "127.0.0.1:0", wrapper: [String] = []) throws -> (
    KDServerProcess, port: UInt16, fingerprint: String
  ) {
    let child = try KDServerProcess(
      ["--listen", listen, "--state-dir", makeTemporaryDirectory("daemon"), "--pace", "0"] + extra, wrapper: wrapper)
    guard let line = child.line(containing: "listening on"), line.contains("fingerprint=") else {
      throw TestFailure("no 'listening on' line; stderr: \(child.stderr)")
    }
    let host = String(listen[..<listen.lastIndex(of: ":")!])
    let port = line.split(separator: " ").first { $0.hasPrefix(host + ":") }.flatMap {
      UInt16($0.split(separator: ":").last!)
    }
    let fingerprint = line.split(separator: " ").first { $0.hasPrefix("fingerprint=") }.map { String($0.dropFirst(12)) }
    guard let port, let fingerprint else { throw TestFailure("cannot parse: \(line)") }
    return (child, port, fingerprint)
  }
}
