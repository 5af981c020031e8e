internal import COpenSSL
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One TLS session over a non-blocking socket, driven by Dispatch read/write sources on its own serial
/// ``queue``. Every callback runs on that queue. Output is buffered without blocking; a peer that does not
/// read makes the connection stop reading from it, and past the hard output limit the connection is closed
/// with ``TransportError/Code/outputOverflow``.
///
/// A connection stays alive until it is closed (by ``close(flush:)``, the peer, or an error): its sources
/// hold it. ``start(onReceive:onClose:)`` must be called once to receive data and learn of the close.
public final class TLSConnection: @unchecked Sendable {  // safe: all mutable state is confined to `queue`
  /// Default cap on queued, unsent output per connection.
  public static let defaultMaxPendingOutputBytes = 8 << 20

  /// How long ``close(flush:)`` waits for queued output to drain before closing anyway.
  public static let closeFlushTimeout: Duration = .seconds(5)

  /// Serial queue on which all of this connection's work and callbacks run.
  public let queue: DispatchQueue
  /// The peer's numeric address: `127.0.0.1:54321` or `[::1]:54321`.
  public let peer: String
  /// Subject (RFC 2253) of the certificate the peer presented, if any. Set before the connection is handed out.
  public private(set) var peerCertificateSubject: String?
  /// Negotiated protocol (`TLSv1.3`). Set before the connection is handed out.
  public private(set) var protocolVersion: String = ""

  private enum State { case handshaking, open, closing, closed }

  private let ssl: OpaquePointer  // SSL *, owned; freed after both sources are cancelled
  private let fd: Int32  // owned; closed after both sources are cancelled
  private let maxPendingOutput: Int
  private var state: State
  private var readSource: (any DispatchSourceRead)?
  private var writeSource: (any DispatchSourceWrite)?
  private var readResumed = false
  private var writeResumed = false
  private var outstandingCancels = 0
  private var finalized = false
  private var output: [[UInt8]] = []
  private var outputHead = 0
  private var outputOffset = 0
  private var pendingOutput = 0
  private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)
  private var started = false
  private var onReceive: (([UInt8]) -> Void)?
  private var onClose: ((TransportError?) -> Void)?
  /// Set by the owner (on ``queue``): while true no input is read, so the peer's sending backs up in TCP.
  private var receivePaused = false
  /// Called on ``queue`` when queued output has fallen to zero after a write (flow control resumes).
  private var onDrained: (() -> Void)?
  private var closeError: TransportError?
  private var handshakeDone: ((Result<Void, TransportError>) -> Void)?
  private var onFinished: (() -> Void)?
  private var handshakeTimer: (any DispatchSourceTimer)?
  /// The sources are being cancelled to hand the socket to a poller thread (``markAdmitted(pollerThread:)``).
  private var switchingToPoller = false
  /// Set once a poller thread drives the socket instead of the Dispatch sources.
  private var poller: Poller?

  init(ssl: OpaquePointer, fd: Int32, peer: String, handshaking: Bool, maxPendingOutput: Int) {
    self.ssl = ssl
    self.fd = fd
    self.peer = peer
    self.maxPendingOutput = max(1, maxPendingOutput)
    self.state = handshaking ? .handshaking : .open
    self.queue = DispatchQueue(label: "kd.transport.connection " + peer)
    queue.setSpecific(key: Self.queueKey, value: queueToken)
  }

  /// Marks this connection's queue, so ``send(_:)`` can tell it is already running there.
  private static let queueKey = DispatchSpecificKey<UInt>()
  private var queueToken: UInt { UInt(bitPattern: ObjectIdentifier(self).hashValue) }

  deinit {
    // Reached only when sources were never installed or are already cancelled.
    if !finalized {
      SSL_free(ssl)
      Glibc.close(fd)
    }
  }

  // MARK: Public surface

  /// Begins delivering received bytes; `onClose` is called exactly once, with nil for an orderly close
  /// (either side's close_notify) and the reason otherwise. Call once; later calls are ignored.
  public func start(onReceive: @escaping ([UInt8]) -> Void, onClose: @escaping (TransportError?) -> Void) {
    let box = UncheckedCallbacks(onReceive: onReceive, onClose: onClose)
    queue.async { [self] in
      guard !started else { return }
      started = true
      if finalized {
        box.onClose(closeError)
        return
      }
      self.onReceive = box.onReceive
      self.onClose = box.onClose
      progress()
    }
  }

  /// Queues `bytes` for sending, in call order. Never blocks; bytes sent after a close are dropped.
  /// Called on ``queue`` (from a callback) it writes at once, saving a queue hop per reply.
  public func send(_ bytes: [UInt8]) {
    if DispatchQueue.getSpecific(key: Self.queueKey) == queueToken {
      enqueue(bytes)
    } else {
      queue.async { [self] in enqueue(bytes) }
    }
  }

  /// Like ``send(_:)``, but from a thread that is about to wait for the answer (a client's request): the write
  /// runs on the caller's thread when the queue is idle (`DispatchQueue.sync` runs the work inline), saving the
  /// wake-up of a queue thread on every round trip. Waits only for the queue's current work, never for the peer.
  /// Never call it from a queue that this connection's callbacks wait on.
  public func sendNow(_ bytes: [UInt8]) {
    if DispatchQueue.getSpecific(key: Self.queueKey) == queueToken {
      enqueue(bytes)
    } else {
      queue.sync { enqueue(bytes) }
    }
  }

  /// Bytes queued and not yet accepted by TLS. Read it on ``queue``.
  public var pendingOutputBytes: Int {
    dispatchPrecondition(condition: .onQueue(queue))
    return pendingOutput
  }

  /// Sends (``send(_:)`` calls) queued and not yet wholly accepted by TLS. Read it on ``queue``.
  public var pendingOutputChunks: Int {
    dispatchPrecondition(condition: .onQueue(queue))
    return output.count - outputHead
  }

  /// Flow control, on ``queue``: while paused the connection reads nothing, so a peer that keeps sending is
  /// held back by TCP's own window. Reading resumes (and buffered input is read) when unpaused.
  public func setReceivePaused(_ paused: Bool) {
    dispatchPrecondition(condition: .onQueue(queue))
    guard paused != receivePaused else { return }
    receivePaused = paused
    if paused {
      updateInterest(wantWrite: writeResumed)
    } else if state == .open {
      updateInterest(wantWrite: writeResumed)
      readAvailable()
    }
  }

  /// `handler` runs on ``queue`` each time queued output drains to nothing. Set it before ``start(onReceive:onClose:)``
  /// or on the queue.
  public func setDrainHandler(_ handler: @escaping () -> Void) {
    let box = UncheckedDrain(handler)
    if DispatchQueue.getSpecific(key: Self.queueKey) == queueToken {
      onDrained = box.handler
    } else {
      queue.async { [self] in onDrained = box.handler }
    }
  }

  /// The owner has admitted this connection (an accepted hello): it leaves its listener's pool of connections
  /// not yet admitted. Any thread; idempotent.
  ///
  /// With `pollerThread`, the socket is then driven by a thread of this connection's own that blocks in
  /// `poll` and runs each step with `queue.sync` (inline, on that thread, when the queue is idle): a request is
  /// read, served and answered with no thread hop, where a Dispatch source costs the event-manager thread's
  /// wake and then a worker's. One thread per admitted session; connections not yet admitted stay on Dispatch,
  /// so a flood of connects never costs a thread each.
  public func markAdmitted(pollerThread: Bool = false) {
    queue.async { [self] in
      let finished = onFinished
      onFinished = nil
      finished?()
      if pollerThread { switchToPoller() }
    }
  }

  private func switchToPoller() {
    guard state == .open, poller == nil, !switchingToPoller, let readSource, let writeSource else { return }
    switchingToPoller = true
    outstandingCancels = 2
    readSource.cancel()
    if !readResumed { readSource.resume() }
    writeSource.cancel()
    if !writeResumed { writeSource.resume() }
  }

  /// The sources are gone (on the queue): the poller thread takes over.
  private func startPoller() {
    switchingToPoller = false
    readSource = nil
    writeSource = nil
    readResumed = false
    writeResumed = false
    guard let poller = Poller(fd: fd) else {
      teardown(TransportError(.system, "cannot make the poller's wake-up pipe"), closeNotify: false)
      finalize()
      return
    }
    self.poller = poller
    pollerInterest(wantWrite: pendingOutput > 0)
    let thread = Thread { [self] in
      while poller.wait() {
        queue.sync { if state != .closed { progress() } }
      }
      queue.async { [self] in finalize() }
    }
    thread.name = "kd.transport.poller"
    thread.start()
  }

  private func pollerInterest(wantWrite: Bool) {
    poller?.set(read: readAllowed, write: wantWrite, closed: state == .closed)
  }

  /// Closes the connection: with `flush`, after the queued output is written; then close_notify is sent.
  /// `onClose` receives nil, or a ``TransportError/Code/timeout`` error when a peer that does not read keeps the
  /// output from draining for ``closeFlushTimeout``.
  public func close(flush: Bool) {
    queue.async { [self] in
      switch state {
      case .closed, .closing: return
      case .handshaking: teardown(nil, closeNotify: false)
      case .open:
        if flush && pendingOutput > 0 {
          state = .closing
          queue.asyncAfter(deadline: .now() + .milliseconds(Int(Self.closeFlushTimeout.milliseconds))) { [weak self] in
            guard let self, self.state == .closing else { return }
            self.teardown(
              TransportError(
                .timeout,
                "peer \(self.peer) did not take the last \(self.pendingOutput) bytes within "
                  + Self.closeFlushTimeout.secondsText + " of close"),
              closeNotify: false)
          }
          progress()
        } else {
          teardown(nil, closeNotify: true)
        }
      }
    }
  }

  // MARK: Set-up (internal: the listener and the client)

  /// Server side: runs `SSL_accept` on the queue until it succeeds, fails or passes `deadline`.
  /// `completion` runs on the queue; `onFinished` runs once when the connection closes (before a failed
  /// handshake's `completion`).
  func acceptHandshake(
    deadline: Duration, completion: @escaping @Sendable (Result<Void, TransportError>) -> Void,
    onFinished: @escaping @Sendable () -> Void
  ) {
    queue.async { [self] in
      handshakeDone = completion
      self.onFinished = onFinished
      let timer = DispatchSource.makeTimerSource(queue: queue)
      timer.schedule(deadline: .now() + .milliseconds(Int(deadline.milliseconds)))
      timer.setEventHandler { [self] in
        guard state == .handshaking else { return }
        fail(TransportError(.timeout, "TLS handshake not completed within \(deadline.secondsText)"))
      }
      handshakeTimer = timer
      timer.resume()
      installSources()
      progress()
    }
  }

  /// The handshake ended (either way): the deadline no longer applies.
  private func cancelHandshakeTimer() {
    handshakeTimer?.cancel()
    handshakeTimer = nil
  }

  /// Client side: the handshake is done (blocking, by ``TLSClient``); hand the socket to Dispatch.
  func activate(peerCertificateSubject: String?) {
    self.peerCertificateSubject = peerCertificateSubject
    self.protocolVersion = String(cString: SSL_get_version(ssl))
    queue.async { [self] in installSources() }
  }

  private func installSources() {
    let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
    let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
    read.setEventHandler { [self] in progress() }
    write.setEventHandler { [self] in progress() }
    read.setCancelHandler { [self] in sourceCancelled() }
    write.setCancelHandler { [self] in sourceCancelled() }
    readSource = read
    writeSource = write
    updateInterest(wantWrite: false)
  }

  // MARK: The engine (all on `queue`)

  /// One step for any event: handshake, or flush output and drain input.
  private func progress() {
    switch state {
    case .closed: return
    case .handshaking: advanceHandshake()
    case .open, .closing:
      flush()
      if readAllowed { readAvailable() }
    }
  }

  private var readAllowed: Bool {
    switch state {
    case .handshaking: true
    case .open: started && !receivePaused && pendingOutput <= maxPendingOutput / 4
    case .closing, .closed: false
    }
  }

  private func updateInterest(wantWrite: Bool) {
    if poller != nil {
      pollerInterest(wantWrite: wantWrite)
      return
    }
    guard state != .closed, let readSource, let writeSource else { return }
    if readAllowed != readResumed {
      readResumed ? readSource.suspend() : readSource.resume()
      readResumed.toggle()
    }
    if wantWrite != writeResumed {
      writeResumed ? writeSource.suspend() : writeSource.resume()
      writeResumed.toggle()
    }
  }

  private func advanceHandshake() {
    OpenSSLErrors.clear()
    let result = SSL_accept(ssl)
    if result == 1 {
      state = .open
      cancelHandshakeTimer()
      protocolVersion = String(cString: SSL_get_version(ssl))
      if let certificate = SSL_get1_peer_certificate(ssl) {
        peerCertificateSubject = X509Name.text(X509_get_subject_name(certificate))
        X509_free(certificate)
      }
      updateInterest(wantWrite: false)
      let done = handshakeDone
      handshakeDone = nil
      done?(.success(()))
      return
    }
    switch SSLOutcome.after(ssl, result: result, call: "SSL_accept", during: "TLS handshake failed") {
    case .wantRead: updateInterest(wantWrite: false)
    case .wantWrite: updateInterest(wantWrite: true)
    case .closedByPeer: fail(TransportError(.connectionLost, "TLS handshake failed: peer closed the connection"))
    case .failed(let error): fail(error)
    }
  }

  private func readAvailable() {
    // Checked before every read: a receive callback may pause input (its replies are backing up).
    while state == .open && readAllowed {
      OpenSSLErrors.clear()
      let count = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
      if count > 0 {
        onReceive?(Array(readBuffer[0..<Int(count)]))
        continue
      }
      switch SSLOutcome.after(ssl, result: count, call: "SSL_read", during: "receive failed") {
      case .wantRead: return
      case .wantWrite:
        updateInterest(wantWrite: true)
        return
      case .closedByPeer: teardown(nil, closeNotify: true)
      case .failed(let error): teardown(error, closeNotify: false)
      }
    }
  }

  private func enqueue(_ bytes: [UInt8]) {
    guard state == .open, !bytes.isEmpty else { return }
    if pendingOutput + bytes.count > maxPendingOutput {
      teardown(
        TransportError(
          .outputOverflow,
          "peer \(peer) is not reading: \(pendingOutput + bytes.count) bytes queued, limit \(maxPendingOutput)"),
        closeNotify: false)
      return
    }
    output.append(bytes)
    pendingOutput += bytes.count
    flush()
  }

  /// Writes queued output until TLS would block; arms the write source only then.
  private func flush() {
    while pendingOutput > 0 && (state == .open || state == .closing) {
      let chunk = output[outputHead]
      OpenSSLErrors.clear()
      let written = chunk.withUnsafeBytes { bytes in
        SSL_write(ssl, bytes.baseAddress! + outputOffset, Int32(min(bytes.count - outputOffset, 1 << 20)))
      }
      if written > 0 {
        consumeOutput(Int(written))
        continue
      }
      switch SSLOutcome.after(ssl, result: written, call: "SSL_write", during: "send failed") {
      case .wantWrite: updateInterest(wantWrite: true)
      case .wantRead: updateInterest(wantWrite: false)
      case .closedByPeer: teardown(nil, closeNotify: true)
      case .failed(let error): teardown(error, closeNotify: false)
      }
      return
    }
    if state == .closing && pendingOutput == 0 {
      teardown(nil, closeNotify: true)
      return
    }
    updateInterest(wantWrite: false)
    if state == .open, let onDrained { onDrained() }
  }

  private func consumeOutput(_ count: Int) {
    pendingOutput -= count
    outputOffset += count
    if outputOffset == output[outputHead].count {
      outputHead += 1
      outputOffset = 0
      if outputHead == output.count {
        output.removeAll(keepingCapacity: true)
        outputHead = 0
      } else if outputHead >= 64 && outputHead * 2 >= output.count {
        output.removeFirst(outputHead)
        outputHead = 0
      }
    }
  }

  // MARK: Tear-down

  private func fail(_ error: TransportError) {
    if state == .handshaking, let done = handshakeDone {
      handshakeDone = nil
      teardown(nil, closeNotify: false)
      done(.failure(error))
    } else {
      teardown(error, closeNotify: false)
    }
  }

  /// Stops both sources; the socket and SSL go when their cancel handlers have run.
  private func teardown(_ error: TransportError?, closeNotify: Bool) {
    guard state != .closed else { return }
    if closeNotify {
      OpenSSLErrors.clear()
      _ = SSL_shutdown(ssl)  // sends close_notify; not waiting for the peer's
    }
    state = .closed
    cancelHandshakeTimer()
    closeError = error
    output.removeAll()
    pendingOutput = 0
    let finished = onFinished  // the listener's slot is free from now on
    onFinished = nil
    finished?()
    if let poller {
      poller.set(read: false, write: false, closed: true)  // the thread ends, then finalizes
      return
    }
    if switchingToPoller { return }  // the cancels in flight finalize (state is closed now)
    guard let readSource, let writeSource else {
      finalize()
      return
    }
    outstandingCancels = 2
    readSource.cancel()
    if !readResumed { readSource.resume() }
    writeSource.cancel()
    if !writeResumed { writeSource.resume() }
  }

  private func sourceCancelled() {
    outstandingCancels -= 1
    guard outstandingCancels == 0 else { return }
    if switchingToPoller && state != .closed {
      startPoller()
    } else {
      finalize()
    }
  }

  private func finalize() {
    guard !finalized else { return }
    finalized = true
    readSource = nil
    writeSource = nil
    SSL_free(ssl)
    Glibc.close(fd)
    let closed = onClose
    onClose = nil
    onReceive = nil
    onDrained = nil
    if started { closed?(closeError) }
  }
}

/// The poller thread's side of a connection: what to wait for, and a pipe that interrupts the wait when the
/// queue changes it. `@unchecked Sendable`: `interest` is behind its lock; the descriptors are written once.
private final class Poller: @unchecked Sendable {
  private let fd: Int32
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let interest = Locked((read: true, write: false, closed: false))
  /// The socket reported hang-up or error while nothing was wanted from it: leave it out of the wait until the
  /// wants change (poll reports POLLHUP whatever it is asked, which would spin).
  private let parkedLock = Locked(false)

  init?(fd: Int32) {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
    self.fd = fd
    (wakeRead, wakeWrite) = (ends[0], ends[1])
  }

  deinit {
    Glibc.close(wakeRead)
    Glibc.close(wakeWrite)
  }

  /// From the queue: what the next wait is for. Wakes the thread only when it changed.
  func set(read: Bool, write: Bool, closed: Bool) {
    let changed = interest.withLock { i -> Bool in
      let new = (read: read, write: write, closed: closed)
      defer { i = new }
      return i != new
    }
    if changed {
      parkedLock.withLock { $0 = false }
      var one: UInt8 = 1
      _ = Glibc.write(wakeWrite, &one, 1)
    }
  }

  /// Blocks until the socket is ready for what is wanted, or the wants change; false once closed.
  func wait() -> Bool {
    let (read, write, closed) = interest.withLock { ($0.read, $0.write, $0.closed) }
    if closed { return false }
    var events: Int16 = 0
    if read { events |= Int16(POLLIN) }
    if write { events |= Int16(POLLOUT) }
    let skipSocket = parkedLock.withLock { $0 }
    var fds = [
      pollfd(fd: skipSocket ? -1 : fd, events: events, revents: 0),
      pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
    ]
    _ = poll(&fds, 2, -1)
    if fds[1].revents != 0 {
      var drain = [UInt8](repeating: 0, count: 64)
      _ = Glibc.read(wakeRead, &drain, drain.count)
    }
    if events == 0 && fds[0].revents & Int16(POLLHUP | POLLERR) != 0 { parkedLock.withLock { $0 = true } }
    return !interest.withLock { $0.closed }
  }
}

/// Carries the owner's drain handler onto the connection queue, where alone it is called.
private struct UncheckedDrain: @unchecked Sendable {  // safe: used only on the connection's queue
  let handler: () -> Void
  init(_ handler: @escaping () -> Void) { self.handler = handler }
}

/// Carries the caller's non-Sendable callbacks onto the connection queue, where alone they are called.
private struct UncheckedCallbacks: @unchecked Sendable {  // safe: used only on the connection's queue
  let onReceive: ([UInt8]) -> Void
  let onClose: (TransportError?) -> Void
}
