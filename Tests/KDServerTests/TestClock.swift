import Dispatch
import KDServer
import Synchronization

/// A ``SessionClock`` that moves only when a test says so: deadlines fire on ``advance(by:)``, on their queues,
/// in deadline order. No sleeps.
final class TestClock: SessionClock {
  private struct Entry {
    let due: Duration
    let queue: DispatchQueue
    let action: @Sendable () -> Void
    let timer: Timer
  }

  final class Timer: SessionTimer {
    let cancelled = Atomic<Bool>(false)
    func cancel() { cancelled.store(true, ordering: .relaxed) }
  }

  private let state = Mutex<(now: Duration, entries: [Entry])>((.zero, []))

  func schedule(after delay: Duration, on queue: DispatchQueue, _ action: @escaping @Sendable () -> Void)
    -> any SessionTimer
  {
    let timer = Timer()
    state.withLock { $0.entries.append(Entry(due: $0.now + delay, queue: queue, action: action, timer: timer)) }
    return timer
  }

  /// Timers scheduled and neither fired nor cancelled.
  var armed: Int { state.withLock { $0.entries.filter { !$0.timer.cancelled.load(ordering: .relaxed) }.count } }

  /// Moves time on; every timer now due runs (on its queue), and this returns once they have.
  func advance(by delay: Duration) {
    let due: [Entry] = state.withLock { s in
      s.now += delay
      let now = s.now
      let fired = s.entries.filter { $0.due <= now }.sorted { $0.due < $1.due }
      s.entries.removeAll { $0.due <= now }
      return fired
    }
    for entry in due where !entry.timer.cancelled.load(ordering: .relaxed) {
      entry.queue.sync { if !entry.timer.cancelled.load(ordering: .relaxed) { entry.action() } }
    }
  }
}
