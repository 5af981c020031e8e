import Synchronization

/// `kd`'s sink for the target's DbgPrint output: held back until the connect banner is out (KD prints the banner
/// first; a target that is running while kd attaches can print before it), then printed as it comes, in order.
public final class DebugOutputGate: Sendable {
  public static let shared = DebugOutputGate()

  private struct State {
    var open = false
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
      if s.open { sink(text, dropped) } else { s.held.append((text, dropped)) }
    }
  }

  /// Prints what was held, then lets output through. Idempotent.
  public func open() {
    state.withLock { s in
      guard !s.open else { return }
      s.open = true
      for (text, dropped) in s.held { sink(text, dropped) }
      s.held = []
    }
  }
}
