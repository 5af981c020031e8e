internal import COpenSSL
import Dispatch
import Foundation
import KDProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// A client's ``FrameLink`` over TLS with no queue hop per request: ``send(_:)`` writes on the caller's thread,
/// and a thread that waits for a reply reads it itself (``pump(until:deadline:)``: poll, `SSL_read`, decode,
/// deliver). Frames that arrive while nobody waits (a break, debug output) are read by a background reader,
/// which runs only then: a thread that starts waiting takes the reading over from it.
///
/// Events are delivered on the thread that read them, one reader at a time, in arrival order (not on ``queue``,
/// which only serializes ``setMaxPayload(_:)``).
///
/// `@unchecked Sendable`: `ssl` is used only with `sslLock` held; `inbox`, `handler` and `pendingMax` are touched
/// only by the thread holding the reader role (`state.reader`) or under `state`'s lock before any reader exists;
/// the role, the waiter count and the closed flag are behind `state`'s condition.
public final class DirectTLSLink: PullFrameLink, @unchecked Sendable {
  public let queue = DispatchQueue(label: "kd.link.direct")
  public let peer: String
  public let peerCertificateSubject: String?
  /// Negotiated protocol (`TLSv1.3`).
  public let protocolVersion: String

  private let ssl: OpaquePointer  // SSL *, owned; freed in deinit
  private let fd: Int32  // owned; closed in deinit
  /// A pipe: a byte written to `wakeWrite` interrupts the background reader's poll on `wakeRead`.
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private var sslLock = pthread_mutex_t()
  private let state = MonotonicCondition()
  private enum Reader { case none, background, waiter }
  private var reader = Reader.none
  private var waiters = 0
  private var closed = false
  private var closeDelivered = false
  private var inbox = FrameInbox()
  private var pendingMax: Int?
  private var handler: ((FrameLinkEvent) -> Void)?
  private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

  init(ssl: OpaquePointer, fd: Int32, peer: String, peerCertificateSubject: String?) {
    self.ssl = ssl
    self.fd = fd
    self.peer = peer
    self.peerCertificateSubject = peerCertificateSubject
    self.protocolVersion = String(cString: SSL_get_version(ssl))
    var ends: [Int32] = [-1, -1]
    if pipe(&ends) == 0 {
      for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
    }
    (wakeRead, wakeWrite) = (ends[0], ends[1])
    pthread_mutex_init(&sslLock, nil)
  }

  deinit {
    SSL_free(ssl)
    Glibc.close(fd)
    for end in [wakeRead, wakeWrite] where end >= 0 { Glibc.close(end) }
    pthread_mutex_destroy(&sslLock)
  }

  public func start(_ handler: @escaping (FrameLinkEvent) -> Void) {
    state.withLock { self.handler = handler }
    let thread = Thread { [self] in backgroundReader() }
    thread.name = "kd.link.direct.reader"
    thread.start()
  }

  /// Writes on the caller's thread, waiting (in poll) only while the socket's buffer is full.
  public func send(_ frame: [UInt8]) {
    guard !state.withLock({ closed }) else { return }
    var failure: TransportError?
    pthread_mutex_lock(&sslLock)
    var offset = 0
    while offset < frame.count {
      OpenSSLErrors.clear()
      let written = frame.withUnsafeBytes { bytes in
        SSL_write(ssl, bytes.baseAddress! + offset, Int32(clamping: frame.count - offset))
      }
      if written > 0 {
        offset += Int(written)
        continue
      }
      switch SSLOutcome.after(ssl, result: written, call: "SSL_write", during: "send failed") {
      case .wantWrite: _ = try? Socket.wait(fd, for: Int16(POLLOUT), until: .now + .seconds(30))
      case .wantRead: _ = try? Socket.wait(fd, for: Int16(POLLIN), until: .now + .seconds(30))
      case .closedByPeer: failure = TransportError(.connectionLost, "send failed: the server closed the connection")
      case .failed(let error): failure = error
      }
      if failure != nil { break }
    }
    pthread_mutex_unlock(&sslLock)
    if let failure { fail(failure) }
  }

  public func sendNow(_ frame: [UInt8]) { send(frame) }

  /// A client is admitted by the server, not by itself: nothing to release.
  public func admitted() {}

  public func close(flush: Bool) {
    let first = state.withLock { () -> Bool in
      defer { closed = true }
      return !closed
    }
    guard first else { return }
    pthread_mutex_lock(&sslLock)
    OpenSSLErrors.clear()
    _ = SSL_shutdown(ssl)  // close_notify; writes are synchronous, so nothing is left to flush
    pthread_mutex_unlock(&sslLock)
    Glibc.shutdown(fd, Int32(SHUT_RDWR))
    poke()
    state.broadcast()
    deliverClose(nil)
  }

  public func setMaxPayload(_ bytes: Int) { state.withLock { pendingMax = bytes } }
  public var pendingOutputBytes: Int { 0 }
  public var pendingOutputFrames: Int { 0 }

  public func reserve() {
    state.withLock {
      waiters += 1
      if reader == .background { poke() }
    }
  }

  public func unreserve() {
    state.withLock {
      waiters -= 1
      state.broadcast()
    }
  }

  /// Reads and delivers frames on this thread until `done()` holds, the link closes, or `deadline` passes
  /// (false). Another waiter may be reading: then this one waits for its turn, or for `done()`.
  public func pump(until done: () -> Bool, deadline: ContinuousClock.Instant) -> Bool {
    state.lock()
    waiters += 1
    if reader == .background { poke() }
    defer {
      waiters -= 1
      state.broadcast()
      state.unlock()
    }
    while !done() {
      if closed { return true }
      if ContinuousClock.now >= deadline { return false }
      if reader == .none {
        reader = .waiter
        state.unlock()
        readOnce(until: deadline)
        state.lock()
        reader = .none
        state.broadcast()
      } else {
        state.wait(until: deadline)
      }
    }
    return true
  }

  // MARK: reading (by the holder of the reader role)

  /// One batch: whatever TLS has, or one poll for more (until `deadline`), then the frames it completes.
  private func readOnce(until deadline: ContinuousClock.Instant) {
    if let max = state.withLock({ () -> Int? in
      defer { pendingMax = nil }
      return pendingMax
    }) {
      inbox.setMaxPayload(max)
    }
    var gotBytes = false
    while true {
      pthread_mutex_lock(&sslLock)
      OpenSSLErrors.clear()
      let count = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
      let outcome = count > 0 ? nil : SSLOutcome.after(ssl, result: count, call: "SSL_read", during: "receive failed")
      pthread_mutex_unlock(&sslLock)
      if count > 0 {
        inbox.feed(Array(readBuffer[0..<Int(count)]))
        gotBytes = true
        continue
      }
      switch outcome {
      case .wantRead, .wantWrite, .none:
        if gotBytes {
          deliverFrames()
          return
        }
        let ready = (try? Socket.wait(fd, for: Int16(POLLIN), until: deadline)) ?? false
        if !ready { return }
      case .closedByPeer:
        deliverFrames()
        fail(nil)
        return
      case .failed(let error):
        deliverFrames()
        fail(error)
        return
      }
    }
  }

  private func deliverFrames() {
    while true {
      switch inbox.next(mustWait: false) {
      case .frame(let frame): handler?(.frame(frame))
      case .drained, .waiting, .stopped: return
      case .malformed(let error):
        handler?(.malformed(error))
        return
      }
    }
  }

  /// Reads only while no request waits; a waiter's poke makes it stand down.
  private func backgroundReader() {
    while true {
      state.lock()
      while !closed && (waiters > 0 || reader != .none) { state.wait(until: .now + .seconds(3600)) }
      if closed {
        state.unlock()
        return
      }
      reader = .background
      state.unlock()
      var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&fds, 2, -1)
      if ready > 0 && fds[1].revents != 0 {
        var drain = [UInt8](repeating: 0, count: 64)
        _ = read(wakeRead, &drain, drain.count)
      }
      // A thread that waits (or is about to) reads its own reply: stand down rather than take it.
      if ready > 0 && fds[0].revents != 0 && !state.withLock({ closed || waiters > 0 }) {
        readOnce(until: .now)
      }
      state.lock()
      reader = .none
      state.broadcast()
      state.unlock()
    }
  }

  private func poke() {
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
  }

  private func fail(_ error: TransportError?) {
    state.withLock { closed = true }
    poke()
    state.broadcast()
    deliverClose(error)
  }

  private func deliverClose(_ error: TransportError?) {
    let h: ((FrameLinkEvent) -> Void)? = state.withLock {
      guard !closeDelivered else { return nil }
      closeDelivered = true
      return handler
    }
    h?(.closed(error))
  }
}

/// A pthread mutex and condition: what `DirectTLSLink`'s reader role and waiters use.
/// `@unchecked Sendable`: a mutex and a condition variable, used only through their own calls.
final class MonotonicCondition: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var cond = pthread_cond_t()

  init() {
    pthread_mutex_init(&mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(&cond, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(&cond)
    pthread_mutex_destroy(&mutex)
  }

  func lock() { pthread_mutex_lock(&mutex) }
  func unlock() { pthread_mutex_unlock(&mutex) }
  func broadcast() { pthread_cond_broadcast(&cond) }

  func withLock<R>(_ body: () throws -> R) rethrows -> R {
    lock()
    defer { unlock() }
    return try body()
  }

  /// Waits (lock held) until signalled or `deadline` (monotonic, as ContinuousClock is on Linux).
  func wait(until deadline: ContinuousClock.Instant) {
    let remaining = ContinuousClock.now.duration(to: deadline)
    if remaining <= .zero { return }
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    let (seconds, attoseconds) = min(remaining, .seconds(86_400)).components
    var nanos = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
    var total = Int(now.tv_sec) + Int(seconds)
    if nanos >= 1_000_000_000 {
      nanos -= 1_000_000_000
      total += 1
    }
    var until = timespec(tv_sec: total, tv_nsec: nanos)
    _ = pthread_cond_timedwait(&cond, &mutex, &until)
  }
}
