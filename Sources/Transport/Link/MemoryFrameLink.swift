import Dispatch
import KDProtocol

/// One end of a pair of ``FrameLink``s in one process. Frames cross as encoded bytes and are decoded by the
/// receiving end's ``FrameDecoder``, exactly as over TLS, so both sides see each other only through the
/// protocol; there is no socket, no key and no file. `kd` runs its embedded target over a pair, and session
/// tests drive a real server session through one.
///
/// `@unchecked Sendable`: `inbox`, `untaken`, `handler`, `started`, `peerHasClosed`, `stopped`, `waiting` and `pumping` are touched only on
/// `queue`; `shared` is behind its lock; `other` (weak) is written once, by ``pair(budget:names:)``, before either
/// end is used, and only loaded afterwards.
public final class MemoryFrameLink: FrameLink, @unchecked Sendable {
  public let queue: DispatchQueue
  public let peer: String
  public var peerCertificateSubject: String? { nil }

  private struct Shared {
    var closed = false
    /// Bytes and frames this end sent that the other end has not yet taken.
    var pendingBytes = 0
    var pendingFrames = 0
  }

  private let budget: OutputBudget
  private let shared = Locked(Shared())
  /// Weak both ways: each end is kept by its owner. Written once, by ``pair(budget:names:)``.
  private weak var other: MemoryFrameLink?
  private var inbox = FrameInbox()
  private var handler: ((FrameLinkEvent) -> Void)?
  /// Closed, by either end.
  private var stopped = false
  private var waiting = false
  private var pumping = false
  /// Sizes of the frames received and not yet delivered (a peer that is not started, or held back, has not
  /// taken them: they count against the sender's output).
  private var untaken: [Int] = []
  /// The other end closed before ``start(_:)``.
  private var peerHasClosed = false
  /// ``start(_:)`` has run: frames that arrived before it wait in the decoder.
  private var started = false

  private init(label: String, peer: String, budget: OutputBudget) {
    queue = DispatchQueue(label: label)
    self.peer = peer
    self.budget = budget
  }

  /// Two connected ends: what one sends, the other receives. `budget` applies to each end's own output.
  public static func pair(
    budget: OutputBudget = OutputBudget(perLink: 4 << 20), names: (String, String) = ("client", "server")
  ) -> (MemoryFrameLink, MemoryFrameLink) {
    let a = MemoryFrameLink(label: "kd.link.memory." + names.0, peer: "in-memory:" + names.1, budget: budget)
    let b = MemoryFrameLink(label: "kd.link.memory." + names.1, peer: "in-memory:" + names.0, budget: budget)
    a.other = b
    b.other = a
    return (a, b)
  }

  deinit {
    // An end dropped without a close is a lost connection to the other end.
    if let other, !shared.withLock({ $0.closed }) { other.queue.async { other.peerClosed() } }
  }

  public func start(_ handler: @escaping (FrameLinkEvent) -> Void) {
    let box = UncheckedHandler(handler)
    queue.async { [self] in
      guard !started else { return }
      started = true
      self.handler = box.handler
      if stopped {
        box.handler(.closed(nil))
        self.handler = nil
        return
      }
      pump()
      if peerHasClosed { finish() }
    }
  }

  public func send(_ frame: [UInt8]) {
    guard !frame.isEmpty, let other else { return }
    let open = shared.withLock { s -> Bool in
      guard !s.closed else { return false }
      s.pendingBytes += frame.count
      s.pendingFrames += 1
      return true
    }
    guard open else { return }
    other.queue.async { other.receive(frame, from: self) }
  }

  public func sendNow(_ frame: [UInt8]) { send(frame) }
  /// Nothing to release: an in-memory peer takes no listener slot.
  public func admitted() {}

  public func close(flush: Bool) {
    let first = shared.withLock { s -> Bool in
      defer { s.closed = true }
      return !s.closed
    }
    guard first, let other else { return }
    // Frames already sent reach the other end first: its queue runs them in order.
    other.queue.async { other.peerClosed() }
    queue.async { [self] in finish() }
  }

  public func setMaxPayload(_ bytes: Int) {
    dispatchPrecondition(condition: .onQueue(queue))
    inbox.setMaxPayload(bytes)
  }

  public var pendingOutputBytes: Int { shared.withLock { $0.pendingBytes } }
  public var pendingOutputFrames: Int { shared.withLock { $0.pendingFrames } }

  // MARK: on `queue`

  private func receive(_ frame: [UInt8], from sender: MemoryFrameLink) {
    inbox.feed(frame)
    untaken.append(frame.count)
    pump()
  }

  /// The other end has taken `count` bytes of ours (on its queue).
  private func taken(_ count: Int) {
    let drained = shared.withLock { s -> Bool in
      s.pendingBytes -= count
      s.pendingFrames -= 1
      return s.pendingBytes == 0
    }
    if drained { queue.async { [self] in resumeIfWaiting() } }
  }

  private func resumeIfWaiting() {
    guard waiting, !stopped else { return }
    waiting = false
    pump()
  }

  private func pump() {
    guard !pumping, started, !stopped else { return }
    pumping = true
    defer { pumping = false }
    while !stopped {
      switch inbox.next(mustWait: budget.mustWait(pending: pendingOutputBytes)) {
      case .frame(let frame):
        // Each send carries one frame: the oldest one received is now taken.
        if !untaken.isEmpty, let other { other.taken(untaken.removeFirst()) }
        handler?(.frame(frame))
      case .drained(let partial):
        handler?(.partialFrame(partial))
        return
      case .waiting:
        waiting = true
        return
      case .malformed(let error):
        handler?(.malformed(error))
        return
      case .stopped: return
      }
    }
  }

  private func peerClosed() {
    // Frames the other end sent before closing are delivered first, unless output is backing up: then they
    // are dropped with the link, as a TCP reset would.
    shared.withLock { $0.closed = true }
    guard started else {
      // Not started yet: what was sent waits for ``start(_:)``, and the close after it.
      peerHasClosed = true
      return
    }
    if !stopped { pump() }
    finish()
  }

  private func finish() {
    guard !stopped || handler != nil else { return }
    stopped = true
    let h = handler
    handler = nil
    h?(.closed(nil))
  }
}
