import Dispatch
import KDTransport
import Logging

/// Refused connections as an operator wants them: the first of a quiet spell is logged at once, in full; the
/// rest are counted and logged as one summary line per interval (counts by reason and by source), so a flood
/// of connects costs a line per interval, not a line per connect.
///
/// `@unchecked Sendable`: `window`, `timer` and `quiet` are touched only on `queue`.
final class RefusalLog: @unchecked Sendable {
  private struct Window {
    var count = 0
    var reasons: [String: Int] = [:]
    var sources: [String: Int] = [:]
  }

  private let logger: Logger
  private let interval: Duration
  private let queue = DispatchQueue(label: "kdserver.refusals")
  private var window = Window()
  private var timer: (any DispatchSourceTimer)?

  init(logger: Logger, interval: Duration) {
    self.logger = logger
    self.interval = interval
  }

  /// Any thread.
  func record(peer: String, reason: String) {
    queue.async { [self] in
      guard timer != nil else {
        // The first refusal after a quiet interval: in full, and the interval starts.
        logger.notice(
          "refused connection", metadata: ["peer": "\(peer)", "reason": "\(LogField.quoted(reason, maxBytes: 200))"])
        startInterval()
        return
      }
      window.count += 1
      window.reasons[Self.kind(of: reason), default: 0] += 1
      window.sources[Self.source(of: peer), default: 0] += 1
    }
  }

  /// Logs what is counted now (at shutdown).
  func flush() { queue.sync { summarize(restart: false) } }

  private func startInterval() {
    let timer = DispatchSource.makeTimerSource(queue: queue)
    timer.schedule(deadline: .now() + interval.clampedDispatchInterval, repeating: interval.clampedDispatchInterval)
    timer.setEventHandler { [self] in summarize(restart: true) }
    timer.resume()
    self.timer = timer
  }

  private func summarize(restart: Bool) {
    guard window.count > 0 else {
      // A quiet interval ends the summarizing: the next refusal is logged in full again.
      timer?.cancel()
      timer = nil
      return
    }
    let reasons = window.reasons.sorted { $0.value > $1.value }.map { "\($0.key):\($0.value)" }
    let sources = window.sources.sorted { $0.value > $1.value }
    let shown = sources.prefix(8).map { "\($0.key):\($0.value)" }
    logger.notice(
      "refused \(window.count) more connections in the last \(interval)",
      metadata: [
        "reasons": "\(LogField.quoted(reasons.joined(separator: ","), maxBytes: 400))",
        "sources": "\(shown.joined(separator: ","))\(sources.count > 8 ? ",+\(sources.count - 8) more" : "")",
      ])
    window = Window()
    if !restart {
      timer?.cancel()
      timer = nil
    }
  }

  /// A short name for a reason: its text up to the first colon, with spaces as dashes.
  static func kind(of reason: String) -> String {
    let head = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
    return String(head.prefix(40).map { $0 == " " ? "-" : $0 })
  }

  static func source(of peer: String) -> String {
    guard let colon = peer.lastIndex(of: ":") else { return peer }
    return String(peer[..<colon])
  }
}
