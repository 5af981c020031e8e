import Dispatch
import KDProtocol
import KDTransport
import Synchronization

/// A client session with a kdserver over a ``FrameLink`` (TLS, or in memory for the embedded target): the hello,
/// pipelined requests matched by packet id, and the events the server pushes (breaks, running, debug output) in
/// order.
///
/// Requests block the calling thread until their reply; several may be in flight at once (``begin(_:)`` then
/// ``Pending/wait()``), up to the window the server's HELLO_REPLY advertised (``begin(_:)`` waits for a slot),
/// which is how bulk reads fill the link. All state is in `state` (a Mutex); frames arrive on the link's queue.
public final class RemoteConnection: Sendable {
  public struct Options: Sendable {
    public var tls: TLSClientOptions
    public var clientName = "kd (swift-kd)"
    public var token: [UInt8] = []
    public var wantController = true
    public var breakOnAttach = false
    public var maxPayload = UInt32(Limits.hardMaxPayload)
    public var breakStackFrames: UInt32 = 64
    public var connectTimeout: Duration = .seconds(10)
    public var requestTimeout: Duration = .seconds(30)

    public init(tls: TLSClientOptions) { self.tls = tls }
  }

  /// A request in flight.
  public final class Pending: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    let slot = Mutex<Result<ManipulateState, RemoteError>?>(nil)
    let api: ApiNumber
    let timeout: Duration
    /// The connection's window: a request that was sent gives its permit back when it ends, whichever way.
    let slots: RequestWindow
    /// A link the waiting thread reads itself (the fast path); nil for a link that delivers on its queue.
    let puller: (any PullFrameLink)?

    init(api: ApiNumber, timeout: Duration, slots: RequestWindow, puller: (any PullFrameLink)?) {
      self.api = api
      self.timeout = timeout
      self.slots = slots
      self.puller = puller
    }

    var isFulfilled: Bool { slot.withLock { $0 != nil } }

    /// Set when ``RemoteConnection/begin(_:timeout:)`` reserved the reader for this request's wait.
    private let reserved = Atomic<Bool>(false)

    func reserve() {
      guard let puller else { return }
      puller.reserve()
      reserved.store(true, ordering: .sequentiallyConsistent)
    }

    private func releaseReservation() {
      if reserved.exchange(false, ordering: .sequentiallyConsistent) { puller?.unreserve() }
    }

    deinit { releaseReservation() }

    func fulfil(_ result: Result<ManipulateState, RemoteError>, releasing: Bool = true) {
      let first = slot.withLock { s -> Bool in
        guard s == nil else { return false }
        s = result
        return true
      }
      if first {
        if releasing { slots.release() }
        semaphore.signal()
      }
    }

    /// The reply, or why there is none.
    public func wait() throws(RemoteError) -> ManipulateState {
      if let puller {
        // Read the reply on this thread; whoever read it has fulfilled the slot by the time pump returns.
        defer { releaseReservation() }
        if !puller.pump(until: { isFulfilled }, deadline: .now + timeout) {
          fulfil(.failure(.timeout("\(api) got no reply within \(timeout)")))
        }
        semaphore.wait()
      } else if semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .timedOut {
        fulfil(.failure(.timeout("\(api) got no reply within \(timeout)")))
      }
      return try slot.withLock { $0! }.get()
    }
  }

  struct State {
    var nextPacketId: UInt32 = 0x8080_0000
    var pending: [UInt32: Pending] = [:]
    var helloReply: HelloReply?
    var closedReason: String?
    /// Events not yet taken by ``nextEvent(timeout:)``.
    var events: [StateChange] = []
    var halted: StateChange?
    /// Tag tracepoint events received and not yet taken (at most ``RemoteConnection/maxTraceEvents``).
    var traceEvents: [PoolTraceEvent] = []
    /// Trace events lost: dropped by the server, or past the bound here.
    var traceDropped: UInt64 = 0
  }

  /// Most tag tracepoint events kept until taken; more count as dropped.
  public static let maxTraceEvents = 1 << 20

  let link: any FrameLink
  let options: Options
  private let state = Mutex(State())
  /// One permit per request the window lets us have in flight; released as each request ends.
  private let slots = RequestWindow()
  private let helloArrived = DispatchSemaphore(value: 0)
  private let eventArrived = DispatchSemaphore(value: 0)
  /// Debug print output from the target (DbgPrint), on the connection's queue.
  private let printHandler: @Sendable (String, UInt32) -> Void

  /// The server's answer to our hello.
  public var hello: HelloReply { state.withLock { $0.helloReply! } }

  /// Connects over TLS, verifies the server, says hello. Throws with the server's reason when refused.
  public convenience init(
    host: String, port: UInt16, options: Options,
    onDebugPrint: @escaping @Sendable (String, UInt32) -> Void = { _, _ in }
  ) throws(RemoteError) {
    let link: DirectTLSLink
    do {
      link = try TLSClient.connectDirect(host: host, port: port, options: options.tls, timeout: options.connectTimeout)
    } catch {
      var failure = ConnectFailure(peer: RemoteConnection.peerName(host, port), error)
      if failure.cause == .verification, options.tls.fingerprint == nil, options.tls.caPath == nil {
        failure.presentedFingerprint = TLSClient.presentedFingerprint(host: host, port: port)
      }
      throw .transport(failure)
    }
    try self.init(
      link: link, peerName: RemoteConnection.peerName(host, port), options: options, onDebugPrint: onDebugPrint)
  }

  /// `HOST:PORT`, an IPv6 address in brackets.
  static func peerName(_ host: String, _ port: UInt16) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
  }

  /// Says hello over `link` (not yet started) and waits for the answer. Throws with the server's reason when
  /// refused.
  public init(
    link: any FrameLink, peerName: String, options: Options,
    onDebugPrint: @escaping @Sendable (String, UInt32) -> Void = { _, _ in }
  ) throws(RemoteError) {
    self.link = link
    self.options = options
    self.printHandler = onDebugPrint
    var flags: Hello.Flags = []
    if options.wantController { flags.insert(.wantController) }
    if options.breakOnAttach { flags.insert(.breakOnAttach) }
    let helloMessage = Hello(
      clientName: options.clientName, flags: flags, token: options.token, maxPayload: options.maxPayload,
      breakStackFrames: options.breakStackFrames)
    let box = Unchecked(self)
    link.start { event in box.value?.receive(event) }
    link.send(Message.hello(helloMessage).encoded(packetId: 1))
    if let puller = link as? any PullFrameLink {
      // This thread reads the answer itself; the semaphore's signal is then only taken, never waited for.
      _ = puller.pump(
        until: { self.state.withLock { $0.helloReply != nil || $0.closedReason != nil } },
        deadline: .now + options.connectTimeout)
      _ = helloArrived.wait(timeout: .now())
    } else {
      _ = helloArrived.wait(timeout: .now() + options.connectTimeout.dispatchInterval)
    }
    let (reply, reason) = state.withLock { ($0.helloReply, $0.closedReason) }
    guard let reply else {
      link.close(flush: false)
      guard let reason else { throw .timeout("no hello reply from \(peerName) within \(options.connectTimeout)") }
      throw .connect(reason)
    }
    guard reply.major == ProtocolVersion.major else {
      link.close(flush: false)
      throw .connect(
        "\(peerName) speaks protocol version \(reply.major).\(reply.minor); this kd speaks \(ProtocolVersion.major).\(ProtocolVersion.minor)"
      )
    }
    guard reply.status == .success else {
      // The server follows a refusal with a goodbye that says why: wait briefly for it.
      var why = reason
      if why == nil {
        _ = helloArrived.wait(timeout: .now() + .seconds(2))
        why = state.withLock { $0.closedReason }
      }
      link.close(flush: false)
      throw .refused(reply.status, why ?? "the server refused the session (\(reply.status))")
    }
    // The hello reply tells the state at admission; a state change that came in since (the reader thread may
    // have taken one before this line) is newer and stays.
    state.withLock { s in if s.events.isEmpty { s.halted = reply.breakEvent } }
    let payload = Int(reply.maxPayload)
    link.queue.async { link.setMaxPayload(min(max(payload, Limits.minMaxPayload), Limits.hardMaxPayload)) }
    for _ in 0..<max(1, Int(reply.window)) { slots.release() }
  }

  deinit { link.close(flush: true) }

  public var maxPayload: Int { Int(hello.maxPayload) }
  public var isController: Bool { hello.role == .controller }
  /// Why the connection is gone, or nil while it is up.
  public var closedReason: String? { state.withLock { $0.closedReason } }
  /// The break the target is halted in, or nil while it runs.
  public var haltedEvent: StateChange? { state.withLock { $0.halted } }

  /// Sends a request; the reply comes through the returned handle.
  public func begin(_ body: Manipulate, timeout: Duration? = nil) -> Pending {
    let pending = Pending(
      api: body.api, timeout: timeout ?? options.requestTimeout, slots: slots, puller: link as? any PullFrameLink)
    if let reason = closedReason {
      pending.fulfil(.failure(.disconnected(reason)), releasing: false)
      return pending
    }
    // The window: wait for a request in flight to end (a disconnect ends them all).
    if !acquireSlot(deadline: .now + pending.timeout) {
      pending.fulfil(
        .failure(.timeout("\(body.api): no room in the window of \(hello.window) requests within \(pending.timeout)")),
        releasing: false)
      return pending
    }
    let outcome: (UInt32, String?) = state.withLock { s in
      if let reason = s.closedReason { return (0, reason) }
      s.nextPacketId &+= 1
      s.pending[s.nextPacketId] = pending
      return (s.nextPacketId, nil)
    }
    if let reason = outcome.1 {
      pending.fulfil(.failure(.disconnected(reason)))
    } else {
      pending.reserve()
      link.sendNow(Message.manipulate(ManipulateState(body)).encoded(packetId: outcome.0))
    }
    return pending
  }

  /// A place in the window. On the fast path nobody else reads while this thread waits for one, so it reads:
  /// the replies it takes in free the places.
  private func acquireSlot(deadline: ContinuousClock.Instant) -> Bool {
    guard let puller = link as? any PullFrameLink else { return slots.acquire(deadline: deadline) }
    while !slots.tryAcquire() {
      if closedReason != nil { return slots.tryAcquire() }
      guard puller.pump(until: { slots.hasFree || closedReason != nil }, deadline: deadline) else { return false }
    }
    return true
  }

  /// One request, one reply.
  public func request(_ body: Manipulate, timeout: Duration? = nil) throws(RemoteError) -> ManipulateState {
    try begin(body, timeout: timeout).wait()
  }

  /// The break-in packet (Ctrl+C).
  public func sendBreakIn() {
    link.send(Message.breakIn.encoded(packetId: 0))
  }

  /// Detaches politely; a halted target stays halted (KD's behaviour).
  public func detach() {
    link.send(Message.goodbye(Goodbye(status: .success, reason: "detached")).encoded(packetId: 0))
    link.close(flush: true)
  }

  /// Closes the connection without a goodbye, as a crashed or unplugged client would.
  public func drop() { link.close(flush: false) }

  /// The next state change (break, running, load symbols) in arrival order; nil on timeout or disconnect.
  public func nextEvent(timeout: Duration?) -> StateChange? {
    let deadline: DispatchTime = timeout.map { .now() + $0.dispatchInterval } ?? .distantFuture
    while true {
      let (event, closed) = state.withLock { s -> (StateChange?, Bool) in
        if !s.events.isEmpty { return (s.events.removeFirst(), false) }
        return (nil, s.closedReason != nil)
      }
      if let event { return event }
      if closed { return nil }
      if let puller = link as? any PullFrameLink {
        // Wait by reading: the event is delivered on this thread.
        let until: ContinuousClock.Instant = timeout.map { .now + $0 } ?? .now + .seconds(86_400 * 365)
        if !puller.pump(
          until: { self.state.withLock { !$0.events.isEmpty || $0.closedReason != nil } }, deadline: until)
        {
          return nil
        }
        continue
      }
      if eventArrived.wait(timeout: deadline) == .timedOut { return nil }
    }
  }

  /// Forgets queued events (after a resume, the old ones are history).
  public func discardEvents() { state.withLock { $0.events.removeAll() } }

  /// The tag tracepoint events received since the last call, and how many were lost on the way.
  public func takeTraceEvents() -> (events: [PoolTraceEvent], dropped: UInt64) {
    state.withLock { s in
      defer {
        s.traceEvents = []
        s.traceDropped = 0
      }
      return (s.traceEvents, s.traceDropped)
    }
  }

  // MARK: input, on the link's queue

  private func receive(_ event: FrameLinkEvent) {
    switch event {
    case .frame(let frame): handle(frame)
    case .malformed(let error):
      closed("malformed frame from the server: \(error)")
      link.close(flush: false)
    case .partialFrame: break
    case .closed(let error): closed(error.map { "\($0)" } ?? "the server closed the connection")
    }
  }

  private func handle(_ frame: Frame) {
    let message: Message
    do {
      message = try Message(frame: frame)
    } catch {
      closed("malformed \(frame.type) from the server: \(error)")
      link.close(flush: false)
      return
    }
    switch message {
    case .helloReply(let reply):
      state.withLock { $0.helloReply = reply }
      helloArrived.signal()
    case .manipulate(let reply):
      let pending = state.withLock { $0.pending.removeValue(forKey: frame.packetId) }
      pending?.fulfil(.success(reply))
    case .refused(let refused):
      let pending = state.withLock { $0.pending.removeValue(forKey: frame.packetId) }
      pending?.fulfil(.failure(.refused(refused.status, "the server refused \(refused.refusedType)")))
    case .stateChange(let change):
      state.withLock { s in
        if case .exception = change.detail {
          s.halted = change
        } else if case .running = change.detail {
          s.halted = nil
        }
        s.events.append(change)
      }
      eventArrived.signal()
    case .debugIO(let io):
      printHandler(io.text, io.dropped)
    case .poolTrace(let trace):
      state.withLock { s in
        s.traceDropped &+= UInt64(trace.dropped)
        let room = max(0, Self.maxTraceEvents - s.traceEvents.count)
        s.traceDropped &+= UInt64(max(0, trace.events.count - room))
        for (i, e) in trace.events.prefix(room).enumerated() {
          s.traceEvents.append(
            PoolTraceEvent(
              sequence: trace.firstSequence &+ UInt64(i), kind: e.kind == 1 ? .allocation : .free, tag: e.tag,
              size: e.size, address: e.address, paged: e.paged, thread: e.thread, time: e.time, frames: e.frames))
        }
      }
    case .goodbye(let goodbye):
      closed("\(goodbye.reason) (\(goodbye.status))")
    case .acknowledge, .resend, .reset, .breakIn, .hello, .unknown:
      break
    }
  }

  private func closed(_ reason: String) {
    let (pending, first) = state.withLock { s -> ([Pending], Bool) in
      let first = s.closedReason == nil
      if first { s.closedReason = reason }
      let all = Array(s.pending.values)
      s.pending.removeAll()
      return (all, first)
    }
    for p in pending { p.fulfil(.failure(.disconnected(reason))) }
    if first {
      helloArrived.signal()
      eventArrived.signal()
    }
  }
}

/// The requests a client may have in flight (HELLO_REPLY's window): a counting semaphore whose free count
/// can be read without taking a place.
final class RequestWindow: Sendable {
  private let semaphore = DispatchSemaphore(value: 0)
  private let free = Atomic<Int>(0)

  func release() {
    free.add(1, ordering: .sequentiallyConsistent)
    semaphore.signal()
  }

  func tryAcquire() -> Bool {
    guard semaphore.wait(timeout: .now()) == .success else { return false }
    free.subtract(1, ordering: .sequentiallyConsistent)
    return true
  }

  func acquire(deadline: ContinuousClock.Instant) -> Bool {
    let remaining = ContinuousClock.now.duration(to: deadline)
    guard semaphore.wait(timeout: .now() + max(remaining, .zero).dispatchInterval) == .success else { return false }
    free.subtract(1, ordering: .sequentiallyConsistent)
    return true
  }

  var hasFree: Bool { free.load(ordering: .sequentiallyConsistent) > 0 }
}

/// Why a remote request failed.
public enum RemoteError: Error, Equatable, Sendable, CustomStringConvertible {
  case connect(String)
  case refused(NTStatus, String)
  case disconnected(String)
  case timeout(String)
  /// The connection could not be opened (`RemoteConnection(host:port:...)`).
  case transport(ConnectFailure)
  /// A setting or local file `kd --connect` needs cannot be used (token file, HOST:PORT).
  case configuration(String)

  public var description: String {
    switch self {
    case .connect(let m): m
    case .refused(_, let m): m
    case .disconnected(let m): "connection to the target lost: \(m)"
    case .timeout(let m): m
    case .transport(let f): f.description
    case .configuration(let m): m
    }
  }
}

/// Lets the connection's callbacks reach the object without keeping it alive.
/// `@unchecked Sendable`: `value` is a weak reference written once, at creation.
final class Unchecked<T: AnyObject>: @unchecked Sendable {
  weak var value: T?
  init(_ value: T) { self.value = value }
}

extension Duration {
  var dispatchInterval: DispatchTimeInterval {
    let (seconds, attoseconds) = components
    return .nanoseconds(Int(min(seconds, 1 << 32)) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
  }
}
