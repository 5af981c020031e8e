import Foundation

/// This executable started again in a server role (`bench --serve-kd`, `bench --serve-tls-echo`), so servers
/// run in their own process, as kdserver and gdbserver do. The child prints one line `READY <fields...>` when
/// it accepts connections; `stop()` sends SIGTERM.
final class ChildProcess {
  let process = Process()
  let fields: [String]

  var pid: Int32 { process.processIdentifier }

  init(role: [String]) throws {
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    process.arguments = role
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let line = Self.readLine(out.fileHandleForReading)
    guard line.hasPrefix("READY ") else {
      process.terminate()
      throw BenchError.child("\(role.joined(separator: " ")) did not start: '\(line)'")
    }
    fields = Array(line.split(separator: " ").dropFirst().map(String.init))
  }

  private static func readLine(_ handle: FileHandle) -> String {
    var bytes: [UInt8] = []
    while true {
      let chunk = handle.readData(ofLength: 1)
      guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
      bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
  }

  deinit { stop() }
}

enum BenchError: Error, CustomStringConvertible {
  case child(String)
  case failed(String)

  var description: String {
    switch self {
    case .child(let s): "child process: \(s)"
    case .failed(let s): s
    }
  }
}
