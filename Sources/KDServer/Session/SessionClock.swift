import Dispatch

/// Time as sessions and the hub use it: deadlines are scheduled through it, so tests drive them with a clock
/// of their own instead of sleeping.
public protocol SessionClock: Sendable {
  /// Runs `action` on `queue` once `delay` has passed, unless cancelled first.
  func schedule(after delay: Duration, on queue: DispatchQueue, _ action: @escaping @Sendable () -> Void)
    -> any SessionTimer
}

/// A scheduled action; cancelling it after it ran does nothing.
public protocol SessionTimer: Sendable {
  func cancel()
}

/// The wall clock, through Dispatch timers.
public struct DispatchSessionClock: SessionClock {
  public init() {}

  public func schedule(after delay: Duration, on queue: DispatchQueue, _ action: @escaping @Sendable () -> Void)
    -> any SessionTimer
  {
    let timer = DispatchSource.makeTimerSource(queue: queue)
    timer.schedule(deadline: .now() + delay.clampedDispatchInterval)
    timer.setEventHandler(handler: action)
    timer.resume()
    return DispatchTimer(source: timer)
  }

  /// `@unchecked Sendable`: a DispatchSource may be cancelled from any thread.
  private struct DispatchTimer: SessionTimer, @unchecked Sendable {
    let source: any DispatchSourceTimer
    func cancel() { source.cancel() }
  }
}

extension Duration {
  /// For Dispatch: whole nanoseconds, at most about 68 years (a configured "forever" does not overflow).
  var clampedDispatchInterval: DispatchTimeInterval {
    let (seconds, attoseconds) = components
    let capped = min(max(seconds, 0), Int64(Int32.max))
    return .nanoseconds(Int(capped) * 1_000_000_000 + Int(max(attoseconds, 0) / 1_000_000_000))
  }
}
