import Dispatch
import Foundation
import KDTransport

/// A KD session from Swift: connect to a kdserver or start the embedded target, run KD command lines, read typed
/// results beside KD's text.
///
/// ```swift
/// let kd = try await Debugger.embedded(scenario: "default")
/// let usage = try await kd.run("!poolused 4")
/// for entry in usage[0].poolUsage ?? [] { print(entry.tagText, entry.pagedBytes) }
/// ```
///
/// The engine under it (`KDClient.Debugger`) is not thread-safe and blocks on the network: every call runs it on
/// this debugger's own serial queue, one at a time, off Swift's cooperative threads. A `Debugger` may be shared
/// between tasks; their commands run in the order they reach the queue.
public final class Debugger: Sendable {
  private let engine: Confined

  private init(engine: Confined) { self.engine = engine }

  /// Connects to a kdserver as `kd --connect host:port` does, as its controller, and breaks in (the target is
  /// halted when this returns, as after `kd -b`). `fingerprint` pins the server's certificate (`SHA256:AB:…`, as
  /// kdserver logs it); `caFile` verifies it by CA instead; `tokenFile` holds the server's token. Debug prints of
  /// the target go to `onDebugPrint` (default: dropped).
  public static func connect(
    host: String, port: UInt16, fingerprint: String? = nil, tokenFile: String? = nil, caFile: String? = nil,
    onDebugPrint: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> Debugger {
    try await open(keeping: nil) {
      let token = try tokenFile.map(RemoteTarget.readToken) ?? []
      let tls = TLSClientOptions(caPath: caFile, fingerprint: fingerprint)
      return try RemoteTarget.connect(
        host: host, port: port, tls: tls, token: token, breakOnAttach: true,
        onDebugPrint: { text, _ in onDebugPrint(text) })
    }
  }

  /// Starts the simulated kernel in this process (a bundled scenario name such as `"default"`, or a path to a
  /// scenario.json) and attaches to it, broken in, as `kd` without `--connect` does. The kernel stops with the
  /// debugger.
  public static func embedded(
    scenario: String = "default", onDebugPrint: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> Debugger {
    let host = try EmbeddedTarget(scenario: scenario, scenariosDirectory: nil, era: nil, pace: nil)
    return try await open(keeping: host) {
      try host.attach(breakOnAttach: true, onDebugPrint: { text, _ in onDebugPrint(text) })
    }
  }

  private static func open(
    keeping host: EmbeddedTarget?, _ makeTarget: @escaping @Sendable () throws -> any DebugTarget
  ) async throws -> Debugger {
    let queue = DispatchQueue(label: "swift-kd.Debugger")
    let confined = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Confined, any Error>) in
      queue.async {
        do {
          let engine = KDClient.Debugger(target: try makeTarget())
          if !engine.target.state.isHalted {
            guard try engine.waitForBreak(timeout: .seconds(30)) != nil else { throw DebuggerError.noInitialBreak }
          }
          c.resume(returning: Confined(queue: queue, engine: engine, host: host))
        } catch {
          c.resume(throwing: error)
        }
      }
    }
    return Debugger(engine: confined)
  }

  /// Runs one KD command line (`;`-separated commands) and returns one result per command, each with KD's text
  /// (`lines`) and its typed view (`poolUsage`, `stackFrames`, `memory`, `modules`, `poolMon`, `event`). Throws
  /// `DebuggerError.commandFailed` at the first command that fails (the rest of the line is not run), unless
  /// `checked` is false: then failed results come back with their `error`. `timeout` bounds waiting for a break
  /// (`g`, `p`, `t`); nil waits as long as it takes.
  public func run(_ line: String, checked: Bool = true, timeout: Duration? = nil) async throws -> [CommandResult] {
    let results = await engine.perform { d in
      d.stopOnError = checked
      d.deadline = timeout.map { ContinuousClock().now + $0 }
      defer { d.deadline = nil }
      return d.run(line)
    }
    if checked, let failed = results.first(where: { !$0.succeeded }) { throw DebuggerError.commandFailed(failed) }
    return results
  }

  /// KD's prompt for the current processor (`kd> `).
  public var prompt: String { get async { await engine.perform { $0.prompt } } }

  /// True after `q` or `.detach`.
  public var hasEnded: Bool { get async { await engine.perform { $0.hasEnded } } }
}

/// What `Debugger` throws besides connection failures (`RemoteError`) and scenario errors of the embedded target.
public enum DebuggerError: Error, Sendable, CustomStringConvertible {
  /// A command failed; its result holds KD's error text (`error`) and the failure.
  case commandFailed(CommandResult)
  /// The target did not stop within 30 s of attaching.
  case noInitialBreak

  public var description: String {
    switch self {
    case .commandFailed(let r): "'\(r.command)' failed: \(r.error ?? "")"
    case .noInitialBreak: "the target did not break in within 30 s of attaching"
    }
  }
}

/// The engine and what keeps its target alive, used only on `queue`.
///
/// `@unchecked Sendable`: `engine` is not thread-safe; every access is a block on `queue`, a serial queue, so no two
/// run at once and each sees the previous one's writes. `host` (an embedded kernel) is itself Sendable and only kept.
private final class Confined: @unchecked Sendable {
  private let queue: DispatchQueue
  private let engine: KDClient.Debugger
  private let host: EmbeddedTarget?

  init(queue: DispatchQueue, engine: KDClient.Debugger, host: EmbeddedTarget?) {
    self.queue = queue
    self.engine = engine
    self.host = host
  }

  func perform<T: Sendable>(_ body: @escaping @Sendable (KDClient.Debugger) -> T) async -> T {
    await withCheckedContinuation { c in queue.async { c.resume(returning: body(self.engine)) } }
  }
}
