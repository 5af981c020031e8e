import Synchronization

/// `kd`'s sink for the target's DbgPrint output: held back until the connect banner is out (KD prints the banner
/// first; a target that is running while kd attaches can print before it), then printed as it comes, in order.
public final class DebugOutputGate: Sendable {
  public static let shared = DebugOutputGate()

  private struct State {
    var open = false
    var json = false
    var held: [(String, UInt32)] = []
  }
  private let state = Mutex(State())
  private let sink: @Sendable (String, UInt32) -> Void

  public init(sink: @escaping @Sendable (String, UInt32) -> Void = RemoteTarget.printDebugOutput) {
    self.sink = sink
  }

  /// The `onDebugPrint` handler.
  @Sendable public func print(_ text: String, dropped: UInt32) {
    state.withLock { s in
      if s.open { deliver(text, dropped, json: s.json) } else { s.held.append((text, dropped)) }
    }
  }

  /// `--json`: each print becomes a `debug-print` event line (docs/COMMANDS.md, "JSON") instead of text.
  public func printAsJSON() { state.withLock { $0.json = true } }

  private func deliver(_ text: String, _ dropped: UInt32, json: Bool) {
    guard json else { return sink(text, dropped) }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    Terminal.write(
      JSONLine.event(
        .debugPrint, result: DebugPrint(text: text, dropped: dropped),
        text: lines.last == "" ? Array(lines.dropLast()) : lines) + "\n")
  }

  /// A `debug-print` event's result: what the target printed, and how many prints before it were dropped
  /// because kd did not read them fast enough.
  private struct DebugPrint: Encodable {
    var text: String
    var dropped: UInt32
  }

  /// Prints what was held, then lets output through. Idempotent.
  public func open() {
    state.withLock { s in
      guard !s.open else { return }
      s.open = true
      for (text, dropped) in s.held { deliver(text, dropped, json: s.json) }
      s.held = []
    }
  }
}
