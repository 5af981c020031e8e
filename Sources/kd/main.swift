// `kd`: the debugger. Thin: the commands live in KDClient; without --connect it starts the embedded default
// target (KDServer's EmbeddedTarget) in this process and attaches to it over TLS on loopback.
import Foundation
import KDClient
import KDServer
import KDTransport

Transport.ignoreSIGPIPE()

/// Keeps the embedded target alive for the whole run.
nonisolated(unsafe) var embedded: EmbeddedTarget?  // written once on the main thread before any session starts

KDCommand.main { options in
  if options.connect != nil {
    return try RemoteTarget.connect(options)
  }
  let target = try EmbeddedTarget()
  embedded = target
  FileHandle.standardError.write(
    Data(
      """
      swift-kd: attached to the embedded default target (a simulated 32-bit Windows kernel with a leaking driver).
      Try `!poolused 4` to find the leaking tag, then follow docs/WALKTHROUGH.md. `.help` lists the commands.

      """.utf8))
  return try RemoteTarget.connect(
    host: "127.0.0.1", port: target.port, tls: TLSClientOptions(fingerprint: target.fingerprint), token: target.token)
}
