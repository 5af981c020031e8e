import Foundation
import KDClient
import KDServer
import KDTransport

/// `bench --serve-kd`: a kdserver daemon with the `bench` scenario (Sources/Kernel/Scenarios/bench) on a loopback
/// port, in its own process. Prints `READY <port> <fingerprint> <token>`.
enum KDServerChild {
  static func serve() throws -> Never {
    let target = try EmbeddedTarget(scenario: "bench", pace: 1.0)
    Report.writeLine("READY \(target.port) \(target.fingerprint) \(String(decoding: target.token, as: UTF8.self))")
    while true { sleep(3600) }
  }

  /// Starts a child server and returns it with a connector for clients.
  static func start() throws -> (ChildProcess, Connector) {
    let child = try ChildProcess(role: ["--serve-kd"])
    guard child.fields.count == 3, let port = UInt16(child.fields[0]) else {
      throw BenchError.child("unexpected READY line \(child.fields)")
    }
    return (child, Connector(port: port, fingerprint: child.fields[1], token: Array(child.fields[2].utf8)))
  }

  struct Connector {
    var port: UInt16
    var fingerprint: String
    var token: [UInt8]

    func connect(controller: Bool = true) throws -> RemoteTarget {
      try RemoteTarget.connect(
        host: "127.0.0.1", port: port, tls: TLSClientOptions(fingerprint: fingerprint), token: token,
        controller: controller, onDebugPrint: { _, _ in })
    }
  }
}
