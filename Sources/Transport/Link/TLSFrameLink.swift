import Dispatch
import KDProtocol

/// A ``FrameLink`` over one ``TLSConnection``: decodes frames as bytes arrive and applies the output budget
/// frame by frame, so one read that carries hundreds of requests never queues hundreds of replies.
///
/// `@unchecked Sendable`: every mutable property is touched only on `connection.queue`.
public final class TLSFrameLink: FrameLink, @unchecked Sendable {
  public let connection: TLSConnection
  public var queue: DispatchQueue { connection.queue }
  public var peer: String { connection.peer }
  public var peerCertificateSubject: String? { connection.peerCertificateSubject }

  private let budget: OutputBudget
  private var inbox = FrameInbox()
  private var handler: ((FrameLinkEvent) -> Void)?
  /// Waiting for output to drain before delivering more frames.
  private var waiting = false
  private var pumping = false
  /// What this link last added to the budget's pool.
  private var reportedBytes = 0

  public init(_ connection: TLSConnection, budget: OutputBudget) {
    self.connection = connection
    self.budget = budget
  }

  public func start(_ handler: @escaping (FrameLinkEvent) -> Void) {
    let box = UncheckedHandler(handler)
    // Both run on the queue in this order (TLSConnection.start hops there too): the handler is set first.
    queue.async { [self] in self.handler = box.handler }
    connection.setDrainHandler { [self] in drained() }
    connection.start(
      onReceive: { [self] bytes in
        inbox.feed(bytes)
        pump()
      },
      onClose: { [self] error in
        inbox.stop()
        report(0)
        self.handler?(.closed(error))
        self.handler = nil
      })
  }

  public func send(_ frame: [UInt8]) { connection.send(frame) }
  public func sendNow(_ frame: [UInt8]) { connection.sendNow(frame) }
  public func close(flush: Bool) { connection.close(flush: flush) }
  /// Leaves the listener's pool and hands the socket to a poller thread of its own (the server's fast path).
  public func admitted() { connection.markAdmitted(pollerThread: true) }

  public func setMaxPayload(_ bytes: Int) {
    dispatchPrecondition(condition: .onQueue(queue))
    inbox.setMaxPayload(bytes)
  }

  public var pendingOutputBytes: Int { connection.pendingOutputBytes }
  public var pendingOutputFrames: Int { connection.pendingOutputChunks }

  /// Delivers buffered frames while the output budget allows; otherwise stops reading until output drains.
  private func pump() {
    guard !pumping else { return }
    pumping = true
    defer { pumping = false }
    while true {
      switch inbox.next(mustWait: budget.mustWait(pending: connection.pendingOutputBytes)) {
      case .frame(let frame): handler?(.frame(frame))
      case .drained(let partial):
        report(connection.pendingOutputBytes)
        handler?(.partialFrame(partial))
        return
      case .waiting:
        waiting = true
        connection.setReceivePaused(true)
        report(connection.pendingOutputBytes)
        // Not reading: the per-frame deadline does not run against a peer we are holding back.
        handler?(.partialFrame(false))
        return
      case .malformed(let error):
        handler?(.malformed(error))
        return
      case .stopped: return
      }
    }
  }

  private func drained() {
    report(0)
    guard waiting, !inbox.stopped else { return }
    waiting = false
    connection.setReceivePaused(false)
    pump()
  }

  private func report(_ bytes: Int) {
    guard let pool = budget.pool, bytes != reportedBytes else { return }
    pool.add(bytes - reportedBytes)
    reportedBytes = bytes
  }
}

/// Carries the owner's handler onto the link's queue, where alone it is called.
struct UncheckedHandler<Event>: @unchecked Sendable {  // safe: called only on the link's queue
  let handler: (Event) -> Void
  init(_ handler: @escaping (Event) -> Void) { self.handler = handler }
}
