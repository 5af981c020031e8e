import Dispatch
import KDProtocol
import KDTransport
import Synchronization

/// A client session with a kdserver: TLS, the hello, pipelined requests matched by packet id, and the events
/// the server pushes (breaks, running, debug output) in order.
///
/// Requests block the calling thread until their reply; several may be in flight at once (``begin(_:)`` then
/// ``Pending/wait()``), which is how bulk reads fill the link. All state is in `state` (a Mutex); input is
/// decoded on the TLS connection's queue.
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

    init(api: ApiNumber, timeout: Duration) {
      self.api = api
      self.timeout = timeout
    }

    func fulfil(_ result: Result<ManipulateState, RemoteError>) {
      let first = slot.withLock { s -> Bool in
        guard s == nil else { return false }
        s = result
        return true
      }
      if first { semaphore.signal() }
    }

    /// The reply, or why there is none.
    public func wait() throws(RemoteError) -> ManipulateState {
      if semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .timedOut {
        fulfil(.failure(.timeout("\(api) got no reply within \(timeout)")))
      }
      return try slot.withLock { $0! }.get()
    }
  }

  struct State {
    var decoder = FrameDecoder(maxPayload: Limits.hardMaxPayload)
    var nextPacketId: UInt32 = 0x8080_0000
    var pending: [UInt32: Pending] = [:]
    var helloReply: HelloReply?
    var closedReason: String?
    /// Events not yet taken by ``nextEvent(timeout:)``.
    var events: [StateChange] = []
    var halted: StateChange?
  }

  let connection: TLSConnection
  let options: Options
  private let state = Mutex(State())
  private let helloArrived = DispatchSemaphore(value: 0)
  private let eventArrived = DispatchSemaphore(value: 0)
  /// Debug print output from the target (DbgPrint), on the connection's queue.
  private let printHandler: @Sendable (String, UInt32) -> Void

  /// The server's answer to our hello.
  public var hello: HelloReply { state.withLock { $0.helloReply! } }

  /// Connects, verifies the server, says hello. Throws with the server's reason when refused.
  public init(
    host: String, port: UInt16, options: Options,
    onDebugPrint: @escaping @Sendable (String, UInt32) -> Void = { _, _ in }
  ) throws(RemoteError) {
    self.options = options
    self.printHandler = onDebugPrint
    do {
      connection = try TLSClient.connect(host: host, port: port, options: options.tls, timeout: options.connectTimeout)
    } catch {
      throw .connect("cannot connect to \(host):\(port): \(error)")
    }
    var flags: Hello.Flags = []
    if options.wantController { flags.insert(.wantController) }
    if options.breakOnAttach { flags.insert(.breakOnAttach) }
    let helloMessage = Hello(
      clientName: options.clientName, flags: flags, token: options.token, maxPayload: options.maxPayload,
      breakStackFrames: options.breakStackFrames)
    let box = Unchecked(self)
    connection.start(
      onReceive: { bytes in box.value?.receive(bytes) },
      onClose: { error in box.value?.closed(error.map { "\($0)" } ?? "the server closed the connection") })
    connection.send(Message.hello(helloMessage).encoded(packetId: 1))
    _ = helloArrived.wait(timeout: .now() + options.connectTimeout.dispatchInterval)
    let (reply, reason) = state.withLock { ($0.helloReply, $0.closedReason) }
    guard let reply else {
      connection.close(flush: false)
      throw .connect(reason ?? "no hello reply from \(host):\(port) within \(options.connectTimeout)")
    }
    guard reply.major == ProtocolVersion.major else {
      connection.close(flush: false)
      throw .connect(
        "\(host):\(port) speaks protocol version \(reply.major).\(reply.minor); this kd speaks \(ProtocolVersion.major).\(ProtocolVersion.minor)"
      )
    }
    guard reply.status == .success else {
      // The server follows a refusal with a goodbye that says why: wait briefly for it.
      var why = reason
      if why == nil {
        _ = helloArrived.wait(timeout: .now() + .seconds(2))
        why = state.withLock { $0.closedReason }
      }
      connection.close(flush: false)
      throw .refused(reply.status, why ?? "the server refused the session (\(reply.status))")
    }
    state.withLock { s in
      s.decoder.maxPayload = Int(reply.maxPayload)
      s.halted = reply.breakEvent
    }
  }

  deinit { connection.close(flush: true) }

  public var maxPayload: Int { Int(hello.maxPayload) }
  public var isController: Bool { hello.role == .controller }
  /// Why the connection is gone, or nil while it is up.
  public var closedReason: String? { state.withLock { $0.closedReason } }
  /// The break the target is halted in, or nil while it runs.
  public var haltedEvent: StateChange? { state.withLock { $0.halted } }

  /// Sends a request; the reply comes through the returned handle.
  public func begin(_ body: Manipulate, timeout: Duration? = nil) -> Pending {
    let pending = Pending(api: body.api, timeout: timeout ?? options.requestTimeout)
    let outcome: (UInt32, String?) = state.withLock { s in
      if let reason = s.closedReason { return (0, reason) }
      s.nextPacketId &+= 1
      s.pending[s.nextPacketId] = pending
      return (s.nextPacketId, nil)
    }
    if let reason = outcome.1 {
      pending.fulfil(.failure(.disconnected(reason)))
    } else {
      connection.sendNow(Message.manipulate(ManipulateState(body)).encoded(packetId: outcome.0))
    }
    return pending
  }

  /// One request, one reply.
  public func request(_ body: Manipulate, timeout: Duration? = nil) throws(RemoteError) -> ManipulateState {
    try begin(body, timeout: timeout).wait()
  }

  /// The break-in packet (Ctrl+C).
  public func sendBreakIn() {
    connection.send(Message.breakIn.encoded(packetId: 0))
  }

  /// Detaches politely; a halted target stays halted (KD's behaviour).
  public func detach() {
    connection.send(Message.goodbye(Goodbye(status: .success, reason: "detached")).encoded(packetId: 0))
    connection.close(flush: true)
  }

  /// Closes the connection without a goodbye, as a crashed or unplugged client would.
  public func drop() { connection.close(flush: false) }

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
      if eventArrived.wait(timeout: deadline) == .timedOut { return nil }
    }
  }

  /// Forgets queued events (after a resume, the old ones are history).
  public func discardEvents() { state.withLock { $0.events.removeAll() } }

  // MARK: input, on the connection's queue

  private func receive(_ bytes: [UInt8]) {
    var frames: [Frame] = []
    let failure: String? = state.withLock { s in
      s.decoder.feed(bytes)
      do {
        while let frame = try s.decoder.next() { frames.append(frame) }
        return nil
      } catch {
        return "malformed frame from the server: \(error)"
      }
    }
    for frame in frames { handle(frame) }
    if let failure {
      closed(failure)
      connection.close(flush: false)
    }
  }

  private func handle(_ frame: Frame) {
    let message: Message
    do {
      message = try Message(frame: frame)
    } catch {
      closed("malformed \(frame.type) from the server: \(error)")
      connection.close(flush: false)
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

/// Why a remote request failed.
public enum RemoteError: Error, Equatable, Sendable, CustomStringConvertible {
  case connect(String)
  case refused(NTStatus, String)
  case disconnected(String)
  case timeout(String)

  public var description: String {
    switch self {
    case .connect(let m): m
    case .refused(_, let m): m
    case .disconnected(let m): "connection to the target lost: \(m)"
    case .timeout(let m): m
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
