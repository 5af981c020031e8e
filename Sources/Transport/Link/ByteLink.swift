import Dispatch

/// What a ``ByteLink`` reports to its owner, always on the link's ``ByteLink/queue``.
public enum ByteLinkEvent: Sendable {
  /// Bytes as they arrived.
  case bytes([UInt8])
  /// The link is gone: nil for an orderly close (either side), the reason otherwise. Always the last event.
  case closed(TransportError?)
}

/// A plain byte stream on one serial queue, for protocols that frame themselves (GDB's remote protocol):
/// ``SocketByteLink`` over TCP, ``MemoryByteLink`` between two objects in one process.
public protocol ByteLink: AnyObject, Sendable {
  /// The serial queue every event and every on-queue accessor runs on.
  var queue: DispatchQueue { get }
  /// Who is on the other end: `127.0.0.1:54321` or `in-memory:NAME`.
  var peer: String { get }
  /// Starts delivering events. Call once.
  func start(_ handler: @escaping (ByteLinkEvent) -> Void)
  /// Queues bytes; never blocks. Bytes sent after a close are dropped. On ``queue``.
  func send(_ bytes: [UInt8])
  /// Closes: with `flush`, after queued output has gone out. Any thread.
  func close(flush: Bool)
  /// Output queued and not yet taken by the peer. On ``queue``.
  var pendingOutputBytes: Int { get }
}
