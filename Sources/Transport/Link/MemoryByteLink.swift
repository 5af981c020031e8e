import Dispatch

/// One end of a pair of ``ByteLink``s in one process: what one end sends arrives at the other as bytes, on
/// its queue, in order. Sessions are tested and fuzzed through a pair, with no socket.
///
/// `@unchecked Sendable`: `handler`, `early`, `started` and `stopped` are touched only on `queue`; `other`
/// (weak) is written once, by ``pair(names:)``, before either end is used.
public final class MemoryByteLink: ByteLink, @unchecked Sendable {
  public let queue: DispatchQueue
  public let peer: String
  private weak var other: MemoryByteLink?
  private var handler: ((ByteLinkEvent) -> Void)?
  /// Input that arrived before ``start(_:)``.
  private var early: [ByteLinkEvent] = []
  private var started = false
  private var stopped = false

  private init(name: String, peer: String) {
    queue = DispatchQueue(label: "kd.link.memory-bytes." + name)
    self.peer = peer
  }

  public static func pair(names: (String, String) = ("client", "server")) -> (MemoryByteLink, MemoryByteLink) {
    let a = MemoryByteLink(name: names.0, peer: "in-memory:" + names.1)
    let b = MemoryByteLink(name: names.1, peer: "in-memory:" + names.0)
    a.other = b
    b.other = a
    return (a, b)
  }

  deinit {
    // An end dropped without a close is a lost connection to the other end.
    if let other { other.queue.async { other.receive(.closed(nil)) } }
  }

  public var pendingOutputBytes: Int { 0 }

  public func start(_ handler: @escaping (ByteLinkEvent) -> Void) {
    let box = UncheckedHandler(handler)
    queue.async { [self] in
      guard !started else { return }
      started = true
      self.handler = box.handler
      let waiting = early
      early = []
      for event in waiting { deliver(event) }
    }
  }

  public func send(_ bytes: [UInt8]) {
    guard !stopped, !bytes.isEmpty, let other else { return }
    other.queue.async { other.receive(.bytes(bytes)) }
  }

  public func close(flush: Bool) {
    queue.async { [self] in
      guard !stopped else { return }
      if let other { other.queue.async { other.receive(.closed(nil)) } }
      receive(.closed(nil))
    }
  }

  private func receive(_ event: ByteLinkEvent) {
    guard started else {
      early.append(event)
      return
    }
    deliver(event)
  }

  private func deliver(_ event: ByteLinkEvent) {
    guard !stopped else { return }
    if case .closed = event {
      stopped = true
      let h = handler
      handler = nil
      h?(event)
      return
    }
    handler?(event)
  }
}
