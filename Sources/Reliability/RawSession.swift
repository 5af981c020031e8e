import Dispatch
import Foundation
import KDProtocol
import KDTransport
import Synchronization

/// A hand-driven protocol client over a real TLS connection: it says hello, sends requests when told, and
/// reads its input only as fast as its owner lets it (``setReading(_:)`` and ``readRate``), counting what it gets.
/// For the slow-reader and flood scenarios, where `RemoteConnection` (which always reads) cannot play the peer.
final class RawSession: Sendable {
  struct Counts: Sendable {
    var replies = 0
    var failedReplies = 0
    var events = 0
    var goodbye: Goodbye?
    var helloReply: HelloReply?
    var closed = false
    var bytes = 0
  }

  let connection: TLSConnection
  private let state = Mutex((decoder: FrameDecoder(), counts: Counts(), nextId: UInt32(0x8080_0000)))
  private let changed = DispatchSemaphore(value: 0)
  /// Called (on the connection's queue) for each reply, with the count so far.
  private let onReply: Mutex<(@Sendable (Int) -> Void)?> = Mutex(nil)
  /// Bytes per second the session reads at most; 0 reads as fast as data comes.
  let readRate: Int
  /// When reading started, for the pacing.
  private let started = ContinuousClock.now

  init(port: UInt16, tls: TLSClientOptions, readRate: Int = 0, clientName: String = "reliability raw") throws {
    var options = tls
    options.maxPendingOutputBytes = 64 << 20
    connection = try TLSClient.connect(host: "127.0.0.1", port: port, options: options, timeout: .seconds(20))
    self.readRate = readRate
    connection.start(onReceive: { [self] bytes in received(bytes) }, onClose: { [self] _ in closed() })
    connection.send(Message.hello(Hello(clientName: clientName, flags: [])).encoded(packetId: 1))
  }

  var counts: Counts { state.withLock { $0.counts } }

  func onEachReply(_ body: @escaping @Sendable (Int) -> Void) { onReply.withLock { $0 = body } }

  /// Waits (bounded) until `condition` holds.
  func wait(seconds: Double, until condition: (Counts) -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition(counts) {
      if Date() >= deadline { return false }
      _ = changed.wait(timeout: .now() + 0.05)
    }
    return true
  }

  func read(_ address: UInt32, count: UInt32) {
    let id = state.withLock { s -> UInt32 in
      s.nextId &+= 1
      return s.nextId
    }
    let request = ReadVirtualMemory(address: UInt64(address), transferCount: count)
    connection.send(Message.manipulate(ManipulateState(.readVirtualMemory(request))).encoded(packetId: id))
  }

  func search(pattern: [UInt8]) {
    let id = state.withLock { s -> UInt32 in
      s.nextId &+= 1
      return s.nextId
    }
    let request = SearchMemory(address: 0, length: 0x1_0000_0000, pattern: pattern)
    connection.send(Message.manipulate(ManipulateState(.searchMemory(request))).encoded(packetId: id))
  }

  /// Stops or resumes reading (the connection's queue hop is taken here).
  func setReading(_ on: Bool) { connection.queue.async { [connection] in connection.setReceivePaused(!on) } }

  func close() { connection.close(flush: false) }

  // MARK: on the connection's queue

  private func received(_ bytes: [UInt8]) {
    var frames: [Frame] = []
    state.withLock { s in
      s.decoder.feed(bytes)
      s.counts.bytes += bytes.count
      while let frame = try? s.decoder.next() { frames.append(frame) }
    }
    for frame in frames {
      guard let message = try? Message(frame: frame) else { continue }
      let replies: Int? = state.withLock { s in
        switch message {
        case .helloReply(let reply): s.counts.helloReply = reply
        case .manipulate(let reply):
          s.counts.replies += 1
          if reply.status != .success { s.counts.failedReplies += 1 }
          return s.counts.replies
        case .goodbye(let goodbye): s.counts.goodbye = goodbye
        case .stateChange, .debugIO: s.counts.events += 1
        default: break
        }
        return nil
      }
      if let replies, let body = onReply.withLock({ $0 }) { body(replies) }
    }
    changed.signal()
    pace()
  }

  /// Holds reading back to `readRate` bytes per second on average.
  private func pace() {
    guard readRate > 0 else { return }
    let total = state.withLock { $0.counts.bytes }
    let elapsed = seconds(since: started)
    let ahead = Double(total) / Double(readRate) - elapsed
    guard ahead > 0.001 else { return }
    connection.setReceivePaused(true)
    connection.queue.asyncAfter(deadline: .now() + ahead) { [connection] in connection.setReceivePaused(false) }
  }

  private func closed() {
    state.withLock { $0.counts.closed = true }
    changed.signal()
  }
}

/// The kdserver's VmRSS, sampled every 50 ms until stopped; the peak, KiB.
final class RSSSampler: Sendable {
  private let peak = Mutex(0)
  private let stopped = Atomic<Bool>(false)
  private let done = DispatchSemaphore(value: 0)

  init(_ server: ServerChild) {
    let thread = Thread { [self] in
      while !stopped.load(ordering: .relaxed) {
        if let rss = server.rssKiB { peak.withLock { $0 = max($0, rss) } }
        usleep(50_000)
      }
      done.signal()
    }
    thread.start()
  }

  /// Stops sampling; the peak.
  func stop() -> Int {
    stopped.store(true, ordering: .relaxed)
    done.wait()
    return peak.withLock { $0 }
  }
}
