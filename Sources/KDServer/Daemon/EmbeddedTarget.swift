import Foundation
import Logging

/// The target `kd` starts when it is given no `--connect`: a kdserver daemon in the same process, on a loopback
/// port the system picks, with a self-signed certificate and a random token made for this run only.
public final class EmbeddedTarget: Sendable {
  public let daemon: Daemon
  public let port: UInt16
  public let fingerprint: String
  public let token: [UInt8]

  public init(
    scenario: String = "default", scenariosDirectory: String? = nil, era: String? = nil, pace: Double? = nil,
    logLevel: Logger.Level = .warning
  ) throws {
    let directory = NSTemporaryDirectory() + "kd-embedded-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var bytes = [UInt8](repeating: 0, count: 16)
    for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
    let token = bytes.map { String(format: "%02x", $0) }.joined()
    let tokenPath = directory + "/token"
    guard
      FileManager.default.createFile(
        atPath: tokenPath, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
    else { throw ServerError.startup("cannot write \(tokenPath)") }
    var configuration = ServerConfiguration(stateDirectory: directory)
    configuration.port = 0
    configuration.scenario = scenario
    configuration.scenariosDirectory = scenariosDirectory
    configuration.era = era
    configuration.pace = pace
    configuration.tokenPath = tokenPath
    var logger = Logger(label: "kdserver-embedded")
    logger.logLevel = logLevel
    daemon = try Daemon(configuration: configuration, logger: logger)
    try daemon.start()
    port = daemon.port
    fingerprint = daemon.fingerprint
    self.token = Array(token.utf8)
  }

  public func stop() {
    daemon.stop(reason: "kd is exiting")
  }
}
