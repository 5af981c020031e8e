import Foundation
import KDClient
import KDServer
import KDTransport
import Logging

/// `bench --serve-kd`: a kdserver daemon with the `bench` scenario (Sources/Kernel/Scenarios/bench) on a loopback
/// port, with its GDB remote endpoint on another, in its own process. Prints
/// `READY <port> <fingerprint> <token> <gdb-port>`.
enum KDServerChild {
  static func serve() throws -> Never {
    let directory = NSTemporaryDirectory() + "kd-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let token = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    let tokenPath = directory + "/token"
    guard
      FileManager.default.createFile(
        atPath: tokenPath, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
    else { throw BenchError.child("cannot write \(tokenPath)") }
    var configuration = ServerConfiguration(stateDirectory: directory)
    configuration.port = 0
    configuration.scenario = "bench"
    configuration.pace = 1.0
    configuration.tokenPath = tokenPath
    configuration.gdbHost = "127.0.0.1"
    var logger = Logger(label: "kdserver-bench")
    logger.logLevel = .warning
    let daemon = try Daemon(configuration: configuration, logger: logger)
    try daemon.start()
    Report.writeLine("READY \(daemon.port) \(daemon.fingerprint) \(token) \(daemon.gdbPort)")
    while true { sleep(3600) }
  }

  /// Starts a child server and returns it with a connector for clients.
  static func start() throws -> (ChildProcess, Connector) {
    let child = try ChildProcess(role: ["--serve-kd"])
    guard child.fields.count == 4, let port = UInt16(child.fields[0]), let gdbPort = UInt16(child.fields[3]) else {
      throw BenchError.child("unexpected READY line \(child.fields)")
    }
    return (
      child,
      Connector(port: port, fingerprint: child.fields[1], token: Array(child.fields[2].utf8), gdbPort: gdbPort)
    )
  }

  struct Connector {
    var port: UInt16
    var fingerprint: String
    var token: [UInt8]
    /// kdserver's GDB remote endpoint (plain TCP, loopback).
    var gdbPort: UInt16

    func connect(controller: Bool = true) throws -> RemoteTarget {
      try RemoteTarget.connect(
        host: "127.0.0.1", port: port, tls: TLSClientOptions(fingerprint: fingerprint), token: token,
        controller: controller, onDebugPrint: { _, _ in })
    }
  }
}
