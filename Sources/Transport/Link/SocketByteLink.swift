import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// A ``ByteLink`` over a connected non-blocking TCP socket, read and written from Dispatch sources on its
/// queue. A peer that stops reading is disconnected once `maxPendingOutput` bytes wait for it.
///
/// `@unchecked Sendable`: every mutable property is touched only on `queue`; `close` hops onto it.
public final class SocketByteLink: ByteLink, @unchecked Sendable {
  public let queue: DispatchQueue
  public let peer: String
  private let fd: Int32
  private let maxPendingOutput: Int
  private var readSource: (any DispatchSourceRead)?
  private var writeSource: (any DispatchSourceWrite)?
  private var writing = false
  private var output: [UInt8] = []
  private var outputStart = 0
  private var handler: ((ByteLinkEvent) -> Void)?
  private var closing = false
  private var finished = false
  /// One member per live Dispatch source on `fd`: the descriptor is closed once every source is cancelled.
  private let sources = DispatchGroup()

  /// Takes ownership of `fd` (connected, non-blocking).
  public init(fd: Int32, peer: String, maxPendingOutput: Int = 16 << 20) {
    self.fd = fd
    self.peer = peer
    self.maxPendingOutput = maxPendingOutput
    queue = DispatchQueue(label: "kd.link.socket")
  }

  public var pendingOutputBytes: Int { output.count - outputStart }

  public func start(_ handler: @escaping (ByteLinkEvent) -> Void) {
    let box = UncheckedHandler(handler)
    queue.async { [self] in
      guard !finished, readSource == nil else { return }
      self.handler = box.handler
      let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
      source.setEventHandler { [self] in readAvailable() }
      sources.enter()
      source.setCancelHandler { [sources] in sources.leave() }
      readSource = source
      source.resume()
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

  private func readAvailable() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !finished {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        if !closing { handler?(.bytes(Array(buffer[0..<n]))) }
        if n < buffer.count { return }
        continue
      }
      if n == 0 {
        finish(nil)
        return
      }
      switch errno {
      case EINTR: continue
      case EAGAIN: return
      default:
        finish(.system("read", "connection from \(peer)"))
        return
      }
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
    readSource?.cancel()
    if let writeSource {
      writeSource.cancel()
      if !writing { writeSource.resume() }  // a suspended source never runs its cancel handler
    }
    readSource = nil
    writeSource = nil
    Glibc.shutdown(fd, Int32(SHUT_RDWR))
    sources.notify(queue: queue) { [fd] in _ = Glibc.close(fd) }
    output = []
    outputStart = 0
    let h = handler
    handler = nil
    h?(.closed(error))
  }
}
