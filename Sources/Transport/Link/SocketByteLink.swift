import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A ``ByteLink`` over a connected non-blocking TCP socket. A reader thread of its own waits in `poll` and hands
/// each read to the owner with `queue.sync`, which Dispatch runs on that thread when the queue is idle: a
/// request costs no thread wake-up beyond the socket's (a Dispatch read source costs one more, about 20 µs on
/// a small VM, half a GDB round trip). Writes go out at once from the queue, and wait on a Dispatch write
/// source when the socket is full. A peer that stops reading is disconnected once `maxPendingOutput` bytes
/// wait for it. The links are few (a GDB endpoint takes four connections at most), so a thread each is cheap.
///
/// `@unchecked Sendable`: every mutable property is touched only on `queue` (the reader thread only inside
/// `queue.sync`); `close` hops onto it; `wakeRead`/`wakeWrite` are set in `init` and only read after.
public final class SocketByteLink: ByteLink, @unchecked Sendable {
  public let queue: DispatchQueue
  public let peer: String
  private let fd: Int32
  private let maxPendingOutput: Int
  private var reading = false
  /// A pipe whose write end wakes the reader thread out of `poll` when the link finishes.
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private var writeSource: (any DispatchSourceWrite)?
  private var writing = false
  private var output: [UInt8] = []
  private var outputStart = 0
  private var handler: ((ByteLinkEvent) -> Void)?
  private var closing = false
  private var finished = false
  /// One member per user of `fd` (the reader thread, the write source): it is closed once each is done.
  private let sources = DispatchGroup()

  /// Takes ownership of `fd` (connected, non-blocking).
  public init(fd: Int32, peer: String, maxPendingOutput: Int = 16 << 20) {
    self.fd = fd
    self.peer = peer
    self.maxPendingOutput = maxPendingOutput
    queue = DispatchQueue(label: "kd.link.socket")
    var ends: [Int32] = [-1, -1]
    if pipe(&ends) == 0 {
      for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    } else {
      ends = [-1, -1]
    }
    (wakeRead, wakeWrite) = (ends[0], ends[1])
  }

  public var pendingOutputBytes: Int { output.count - outputStart }

  public func start(_ handler: @escaping (ByteLinkEvent) -> Void) {
    let box = UncheckedHandler(handler)
    queue.async { [self] in
      guard !finished, !reading else { return }
      self.handler = box.handler
      guard wakeRead >= 0 else {
        finish(.system("pipe", "connection from \(peer)"))
        return
      }
      reading = true
      sources.enter()
      let reader = Thread { [self] in
        readLoop()
        sources.leave()
      }
      reader.name = "kd.link.socket.reader"
      reader.start()
    }
  }

  public func send(_ bytes: [UInt8]) {
    guard !finished, !closing, !bytes.isEmpty else { return }
    output.append(contentsOf: bytes)
    flush()
    if pendingOutputBytes > maxPendingOutput {
      finish(TransportError(.outputOverflow, "peer is not reading: \(pendingOutputBytes) bytes unsent"))
    }
  }

  public func close(flush: Bool) {
    queue.async { [self] in
      guard !finished else { return }
      if flush && pendingOutputBytes > 0 {
        closing = true  // finished once the output has gone
      } else {
        finish(nil)
      }
    }
  }

  /// The reader thread: waits for input or the wake pipe, hands input over on the queue, ends with the link.
  private func readLoop() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      var entries = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&entries, 2, -1)
      if ready < 0 && errno == EINTR { continue }
      if ready < 0 || entries[1].revents != 0 { return }
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      let error = n < 0 ? errno : 0
      if n < 0 && (error == EINTR || error == EAGAIN) { continue }
      let done = queue.sync { [self] () -> Bool in
        guard !finished else { return true }
        if n > 0 {
          if !closing { handler?(.bytes(Array(buffer[0..<n]))) }
          return false
        }
        finish(n == 0 ? nil : .system("read", "connection from \(peer)", errno: error))
        return true
      }
      if done { return }
    }
  }

  private func flush() {
    while pendingOutputBytes > 0 {
      let n = output[outputStart...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        outputStart += n
        continue
      }
      if n < 0 && errno == EINTR { continue }
      if n < 0 && errno == EAGAIN {
        waitWritable()
        return
      }
      finish(.system("write", "connection from \(peer)"))
      return
    }
    output.removeAll(keepingCapacity: output.count < 1 << 20)
    outputStart = 0
    if closing { finish(nil) }
  }

  private func waitWritable() {
    if writeSource == nil {
      let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
      source.setEventHandler { [self] in
        writeSource?.suspend()
        writing = false
        flush()
      }
      sources.enter()
      source.setCancelHandler { [sources] in sources.leave() }
      writeSource = source
      writing = true
      source.resume()
    } else if !writing {
      writing = true
      writeSource?.resume()
    }
  }

  private func finish(_ error: TransportError?) {
    guard !finished else { return }
    finished = true
    if wakeWrite >= 0 { _ = Glibc.write(wakeWrite, [UInt8(1)], 1) }
    if let writeSource {
      writeSource.cancel()
      if !writing { writeSource.resume() }  // a suspended source never runs its cancel handler
    }
    writeSource = nil
    Glibc.shutdown(fd, Int32(SHUT_RDWR))
    sources.notify(queue: queue) { [fd, wakeRead, wakeWrite] in
      for d in [fd, wakeRead, wakeWrite] where d >= 0 { _ = Glibc.close(d) }
    }
    output = []
    outputStart = 0
    let h = handler
    handler = nil
    h?(.closed(error))
  }
}
