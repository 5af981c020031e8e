import KDClient
import KDKernel
import KDServer
import KDTransport
import Logging

/// The target `kd` runs when it is given no `--connect`: the simulated kernel and its session host in this
/// process, attached over an in-memory frame link. No socket is opened, no key made, no file written; the
/// debugger still sees the kernel only through encoded protocol frames. `kd` without `--connect` and
/// `Debugger.embedded(scenario:)` use it.
package final class EmbeddedTarget: Sendable {
  let host: TargetHost

  package init(
    scenario: String, scenariosDirectory: String?, era: String?, pace: Double?, breakAtBoot: Bool = false,
    verifier: [String] = []
  ) throws {
    var settings: [VerifierSetting] = []
    for text in verifier { settings.append(try VerifierSetting.parse(text)) }
    var logger = Logger(label: "kdserver-embedded")
    logger.logLevel = .warning
    host = try TargetHost(
      kernel: KernelConfiguration(
        scenario: scenario, pace: pace, era: era.flatMap(KernelEra.init(rawValue:)),
        scenariosDirectory: scenariosDirectory, breakAtBoot: breakAtBoot, verifier: settings),
      policy: SessionPolicy(serverName: TargetHost.serverName), logger: logger)
    host.start()
  }

  /// The kernel stops with the last reference (a `Debugger` from `Debugger.embedded` that is released).
  deinit { host.shutdown() }

  /// Attaches a debugger session to the embedded target as its controller.
  package func attach(breakOnAttach: Bool, onDebugPrint: @escaping @Sendable (String, UInt32) -> Void) throws
    -> RemoteTarget
  {
    var options = RemoteConnection.Options(tls: TLSClientOptions())
    options.breakOnAttach = breakOnAttach
    let connection = try RemoteConnection(
      link: host.attachInMemory(), peerName: "the embedded target", options: options, onDebugPrint: onDebugPrint)
    return RemoteTarget(connection: connection)
  }
}
