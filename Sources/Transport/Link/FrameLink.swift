import Dispatch
import KDProtocol

/// What a ``FrameLink`` reports to its owner, always on the link's ``FrameLink/queue``.
public enum FrameLinkEvent: Sendable {
  /// One whole frame, decoded by the link's ``FrameDecoder``.
  case frame(Frame)
  /// The byte stream is not KD frames. The link stays open (the owner may still say goodbye) but delivers
  /// nothing more.
  case malformed(FrameError)
  /// After each batch of input: whether part of a frame is buffered. A per-frame deadline runs while it is.
  case partialFrame(Bool)
  /// The link is gone: nil for an orderly close (either side), the reason otherwise. Always the last event.
  case closed(TransportError?)
}

/// The only I/O sessions and the client connection know: encoded frames out, decoded frames in, on one serial
/// queue. ``TLSFrameLink`` carries them over TLS; ``MemoryFrameLink`` between two objects in one process.
///
/// Flow control is the link's: it delivers no further frame while its unsent output is over its budget (so
/// a peer that does not read its replies is slowed, not dropped), and stops reading from the peer meanwhile.
public protocol FrameLink: AnyObject, Sendable {
  /// The serial queue every event and every on-queue accessor runs on.
  var queue: DispatchQueue { get }
  /// Who is on the other end: `127.0.0.1:54321`, `[::1]:54321`, or `in-memory`.
  var peer: String { get }
  /// Subject of the certificate the peer presented, when there is one.
  var peerCertificateSubject: String? { get }
  /// Starts delivering events. Call once.
  func start(_ handler: @escaping (FrameLinkEvent) -> Void)
  /// Queues one encoded frame; never blocks. Frames sent after a close are dropped.
  func send(_ frame: [UInt8])
  /// Like ``send(_:)``, from a thread about to wait for the answer: the write may run on the caller's thread.
  func sendNow(_ frame: [UInt8])
  /// The owner has admitted the peer (an accepted hello): a server's link leaves the pool of connections not
  /// yet admitted (``AdmissionLimits``). Any thread.
  func admitted()
  /// Closes: with `flush`, after queued output has gone out.
  func close(flush: Bool)
  /// The largest payload the decoder accepts (at most ``Limits/hardMaxPayload``). On ``queue``.
  func setMaxPayload(_ bytes: Int)
  /// Output queued and not yet taken by the peer. On ``queue``.
  var pendingOutputBytes: Int { get }
  /// Frames queued and not yet taken by the peer. On ``queue``.
  var pendingOutputFrames: Int { get }
}

/// A link whose input a waiting thread reads itself (the client's fast path, ``DirectTLSLink``).
public protocol PullFrameLink: FrameLink {
  /// Reads and delivers frames on the calling thread until `done()` holds, the link closes, or `deadline`
  /// passes (then false).
  func pump(until done: () -> Bool, deadline: ContinuousClock.Instant) -> Bool
  /// Says, before sending a request, that a thread will wait for its reply: the background reader stands down
  /// now, so the reply is left for the waiter. Pair with ``unreserve()`` after the wait.
  func reserve()
  func unreserve()
}

/// When a link stops delivering frames because its own output is backing up.
public struct OutputBudget: Sendable {
  /// Past this much unsent output on one link, no further frame is delivered until the output drains.
  public var perLink: Int
  /// The total across every link sharing this budget's ``Pool``: past it, a link with output of its own
  /// waits for that output to drain before taking more requests.
  public var pool: Pool?

  public init(perLink: Int, pool: Pool? = nil) {
    self.perLink = perLink
    self.pool = pool
  }

  /// Unsent output summed over many links (a server's connections).
  public final class Pool: Sendable {
    public let limit: Int
    private let total = Locked(0)

    public init(limit: Int) { self.limit = limit }

    /// Bytes queued across all links now.
    public var bytes: Int { total.withLock { $0 } }
    func add(_ delta: Int) { total.withLock { $0 += delta } }
    var isOver: Bool { total.withLock { $0 > limit } }
  }

  /// True when a link with `pending` unsent bytes must stop taking frames.
  func mustWait(pending: Int) -> Bool {
    if pending > perLink { return true }
    if pending > 0, let pool, pool.isOver { return true }
    return false
  }
}
