// `kd`: the debugger. Thin: the commands live in KDClient; without --connect it runs the embedded default
// target (SwiftKD's EmbeddedTarget) in this process and attaches to it over an in-memory frame link.
import Foundation
import KDClient
import KDTransport
import SwiftKD

Transport.ignoreSIGPIPE()

/// Keeps the embedded target alive for the whole run.
nonisolated(unsafe) var embedded: EmbeddedTarget?  // written once on the main thread before any session starts

KDCommand.main { options in
  if options.connect != nil {
    return try RemoteTarget.connect(options, onDebugPrint: DebugOutputGate.shared.print)
  }
  let target = try EmbeddedTarget(
    scenario: options.scenario ?? "default", scenariosDirectory: options.scenarios, era: options.era,
    pace: options.pace, breakAtBoot: options.breakAtBoot, verifier: options.verifier)
  embedded = target
  FileHandle.standardError.write(
    Data(
      """
      swift-kd: attached to the embedded '\(options.scenario ?? "default")' target, a simulated 32-bit Windows kernel
      (the default one has a leaking driver), broken in. `g` lets it run and Ctrl+C breaks in again;
      then `!poolused 4` ranks the pool tags. docs/WALKTHROUGH.md is the whole leak hunt.
      `.help` lists the commands; `q` quits.

      """.utf8))
  return try target.attach(breakOnAttach: false, onDebugPrint: DebugOutputGate.shared.print)
}
