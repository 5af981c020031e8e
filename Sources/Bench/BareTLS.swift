import Foundation
import KDProtocol
import KDTransport
import Synchronization

/// The bare TLS ceiling: KDTransport endpoints with no protocol and no kernel behind them.
/// `bench --serve-tls-echo` runs the server in its own process (like kdserver); prints `READY <port> <fingerprint>`.
/// A connection's first 9 bytes choose its role: `P...` echoes every byte back (ping-pong), `B` + UInt64 LE
/// count streams that many bytes to the client (bulk).
enum BareTLS {
  static func serve() throws -> Never {
    let directory = NSTemporaryDirectory() + "bench-tls-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let context = try TLSServerContext(options: TLSServerOptions(stateDirectory: directory))
    let listener = try TLSListener(
      host: "127.0.0.1", port: 0, context: context,
      onConnection: { EchoPeer(connection: $0).start() }, onRefusal: { _, _ in })
    listener.start()
    Report.writeLine("READY \(listener.localPort) \(context.fingerprint)")
    while true { sleep(3600) }
  }

  /// A client connection to the echo child, with a byte counter to wait on.
  final class Client: @unchecked Sendable {  // safe: `received` and `closed` are only touched with `condition` locked
    let connection: TLSConnection
    private let condition = NSCondition()
    private var received = 0
    private var closed = false

    init(port: UInt16, fingerprint: String) throws {
      connection = try TLSClient.connect(
        host: "127.0.0.1", port: port, options: TLSClientOptions(fingerprint: fingerprint))
      connection.start(
        onReceive: { [self] bytes in
          condition.lock()
          received += bytes.count
          condition.broadcast()
          condition.unlock()
        },
        onClose: { [self] _ in
          condition.lock()
          closed = true
          condition.broadcast()
          condition.unlock()
        })
    }

    /// Waits until `total` bytes have arrived since the connection opened.
    func waitForTotal(_ total: Int) throws {
      condition.lock()
      defer { condition.unlock() }
      while received < total {
        if closed { throw BenchError.failed("bare TLS connection closed after \(received) of \(total) bytes") }
        condition.wait()
      }
    }

    func close() { connection.close(flush: false) }
  }

  /// Sorted round-trip latencies of `count` 64-byte ping-pongs (after `warmup` unmeasured ones).
  static func pingPong(port: UInt16, fingerprint: String, count: Int, warmup: Int = 200) throws -> [Double] {
    // The client's side as kd's requests go: DirectTLSLink, the write and the read on this thread. The ping is
    // one 64-byte frame (16-byte header, 47-byte payload, trailer), which the echo returns.
    let link = try TLSClient.connectDirect(
      host: "127.0.0.1", port: port, options: TLSClientOptions(fingerprint: fingerprint))
    defer { link.close(flush: false) }
    let received = Mutex(0)
    link.start { event in if case .frame = event { received.withLock { $0 += 1 } } }
    let ping = FrameEncoder.encode(Frame(type: .debugIO, packetId: 1, payload: [UInt8](repeating: 0x2e, count: 47)))
    var expected = 0
    func once() throws {
      expected += 1
      let want = expected
      link.reserve()
      defer { link.unreserve() }
      link.send(ping)
      guard link.pump(until: { received.withLock { $0 } >= want }, deadline: .now + .seconds(10)),
        received.withLock({ $0 }) >= want
      else { throw BenchError.failed("bare TLS ping-pong: no echo") }
    }
    for _ in 0..<warmup { try once() }
    return try Measure.latencies(count: count) { _ in try once() }
  }

  /// Seconds to receive `bytes` streamed by the server on a fresh connection (request to last byte).
  static func bulk(port: UInt16, fingerprint: String, bytes: Int) throws -> Double {
    let client = try Client(port: port, fingerprint: fingerprint)
    defer { client.close() }
    var request: [UInt8] = [UInt8(ascii: "B")]
    withUnsafeBytes(of: UInt64(bytes).littleEndian) { request.append(contentsOf: $0) }
    return try Measure.seconds {
      client.connection.sendNow(request)
      try client.waitForTotal(bytes)
    }
  }
}

/// Server side of one bare TLS connection.
private final class EchoPeer: @unchecked Sendable {  // safe: every field is touched only on `connection.queue`
  let connection: TLSConnection
  private var head: [UInt8] = []
  private var role: UInt8?
  private var remaining = 0
  private static let chunk = [UInt8](repeating: 0x5a, count: 256 << 10)

  init(connection: TLSConnection) { self.connection = connection }

  func start() {
    connection.start(onReceive: { [self] in receive($0) }, onClose: { _ in })
    // As kdserver does for a session it admitted: a poller thread of the connection's own drives the socket.
    connection.markAdmitted(pollerThread: true)
  }

  private func receive(_ bytes: [UInt8]) {
    if let role, role != UInt8(ascii: "B") { return connection.send(bytes) }
    guard role == nil else { return }
    head += bytes
    guard head.count >= 9 else { return }
    role = head[0]
    if role == UInt8(ascii: "B") {
      remaining = head[1..<9].reversed().reduce(0) { $0 << 8 | Int($1) }
      pump()
    } else {
      connection.send(head)
    }
  }

  /// Streams the bulk reply, keeping at most ~4 MiB queued (send() queues asynchronously on the same queue).
  private func pump() {
    guard remaining > 0 else { return }
    if connection.pendingOutputBytes > 4 << 20 {
      connection.queue.asyncAfter(deadline: .now() + .microseconds(100)) { [self] in pump() }
      return
    }
    let n = min(remaining, Self.chunk.count)
    connection.send(n == Self.chunk.count ? Self.chunk : Array(Self.chunk[0..<n]))
    remaining -= n
    connection.queue.async { [self] in pump() }
  }
}
