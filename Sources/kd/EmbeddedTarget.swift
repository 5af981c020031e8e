import KDClient
import KDKernel
import KDServer
import KDTransport
import Logging

/// The target `kd` runs when it is given no `--connect`: the simulated kernel and its session host in this
/// process, attached over an in-memory frame link. No socket is opened, no key made, no file written; the
/// debugger still sees the kernel only through encoded protocol frames.
final class EmbeddedTarget: Sendable {
  let host: TargetHost

  init(scenario: String, scenariosDirectory: String?, era: String?, pace: Double?, breakAtBoot: Bool) throws {
    var logger = Logger(label: "kdserver-embedded")
    logger.logLevel = .warning
    host = try TargetHost(
      kernel: KernelConfiguration(
        scenario: scenario, pace: pace, era: era.flatMap(KernelEra.init(rawValue:)),
        scenariosDirectory: scenariosDirectory, breakAtBoot: breakAtBoot),
      policy: SessionPolicy(serverName: TargetHost.serverName), logger: logger)
    host.start()
  }

  /// Attaches a debugger session to the embedded target as its controller.
  func attach(breakOnAttach: Bool, onDebugPrint: @escaping @Sendable (String, UInt32) -> Void) throws -> RemoteTarget {
    var options = RemoteConnection.Options(tls: TLSClientOptions())
    options.breakOnAttach = breakOnAttach
    let connection = try RemoteConnection(
      link: host.attachInMemory(), peerName: "the embedded target", options: options, onDebugPrint: onDebugPrint)
    return RemoteTarget(connection: connection)
  }
}
