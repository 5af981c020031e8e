import Dispatch
import KDKernel
import KDProtocol
import KDTransport
import Logging

/// One attached debugger, as a state machine over a ``FrameLink``: frames in; hello negotiation, roles and
/// takeover, deadlines, the in-flight window and back-pressure, the goodbye reasons; replies and events out.
/// It does no I/O of its own and reads no daemon state: its limits come in as a ``SessionPolicy``, its time from
/// a ``SessionClock``, its target from the ``TargetHub``. The same session serves TLS peers and in-memory ones.
///
/// `@unchecked Sendable`: every mutable property is touched only on `link.queue` (the link's serial queue);
/// other threads reach a session only through `deliver` and `close`, which hop onto that queue.
final class Session: HubMember, @unchecked Sendable {
  private enum Phase { case awaitingHello, attached, closing }

  let link: any FrameLink
  let hub: TargetHub
  let policy: SessionPolicy
  let clock: any SessionClock
  var peer: String { link.peer }
  private var logger: Logger
  private var phase = Phase.awaitingHello
  private var id: UInt32 = 0
  private var role = HelloReply.Role.none
  private var maxPayload = Limits.defaultMaxPayload
  private var breakFrames = Limits.defaultBreakFrames
  private var acknowledgements = false
  private var lastDataFrame: [UInt8] = []
  private var eventSequence: UInt32 = 0
  private var droppedPrints: UInt32 = 0
  /// PoolTraceSubscribe turned the tag tracepoints' stream on for this session.
  private var traceSubscribed = false
  /// Trace events this session did not get since its last POOL_TRACE packet.
  private var traceDropped: UInt64 = 0
  private var helloTimer: (any SessionTimer)?
  private var frameTimer: (any SessionTimer)?

  init(link: any FrameLink, hub: TargetHub, policy: SessionPolicy, clock: any SessionClock, logger: Logger) {
    self.link = link
    self.hub = hub
    self.policy = policy
    self.clock = clock
    self.logger = logger
    self.logger[metadataKey: "peer"] = "\(link.peer)"
    if let subject = link.peerCertificateSubject {
      self.logger[metadataKey: "client-cert"] = "\(LogField.quoted(subject, maxBytes: 256))"
    }
  }

  func start() {
    link.queue.async { [self] in
      helloTimer = clock.schedule(after: policy.helloTimeout, on: link.queue) { [self] in
        guard phase == .awaitingHello else { return }
        refuse(.timeout, "no hello within \(policy.helloTimeout)")
      }
      link.start { [self] event in receive(event) }
    }
  }

  // MARK: input

  private func receive(_ event: FrameLinkEvent) {
    switch event {
    case .frame(let frame):
      guard phase != .closing else { return }
      // The deadline is per frame: a partial frame left after this one started after it.
      frameTimer?.cancel()
      frameTimer = nil
      handle(frame)
    case .malformed(let error):
      refuse(.protocolError, "malformed frame: \(error)")
    case .partialFrame(let inside):
      updateFrameDeadline(inside: inside)
    case .closed(let error):
      closed(error)
    }
  }

  private func updateFrameDeadline(inside: Bool) {
    guard inside && phase != .closing else {
      frameTimer?.cancel()
      frameTimer = nil
      return
    }
    if frameTimer == nil {
      frameTimer = clock.schedule(after: policy.frameTimeout, on: link.queue) { [self] in
        guard frameTimer != nil else { return }
        refuse(.timeout, "frame not completed within \(policy.frameTimeout)")
      }
    }
  }

  private func handle(_ frame: Frame) {
    if acknowledgements && frame.leader == .data {
      send(.acknowledge, packetId: frame.packetId, remember: false)
    }
    let message: Message
    do {
      message = try Message(frame: frame)
    } catch {
      refuse(.protocolError, "malformed \(frame.type) payload: \(error)")
      return
    }
    if phase == .awaitingHello {
      guard case .hello(let hello) = message else {
        refuse(.protocolError, "expected a hello as the first frame, got \(frame.type)")
        return
      }
      attach(hello, packetId: frame.packetId)
      return
    }
    switch message {
    case .manipulate(let request):
      // Replies queued and not yet taken are requests still in flight from the client's side. Events share
      // the queue (prints give way at half the window), so a client within its window stays under twice it.
      if link.pendingOutputFrames >= 2 * policy.window {
        refuse(
          .quotaExceeded,
          "over the window of \(policy.window) requests in flight that HELLO_REPLY advertised: "
            + "\(link.pendingOutputFrames) replies and events not taken")
        return
      }
      serve(request, packetId: frame.packetId)
    case .breakIn:
      guard role == .controller else {
        send(.refused(Refused(status: .privilegeNotHeld, refusedType: .unused)), packetId: frame.packetId)
        return
      }
      logger.info("audit: break-in", metadata: ["session": "\(id)"])
      if !hub.kernel.breakIn() {
        // Already halted, and its break event already sent: no new break will come, so say so.
        send(.refused(Refused(status: .invalidDeviceState, refusedType: .unused)), packetId: frame.packetId)
      }
    case .resend:
      if !lastDataFrame.isEmpty { link.send(lastDataFrame) }
    case .reset:
      send(.reset, packetId: 0, remember: false)
      sendCurrentState()
    case .acknowledge:
      break
    case .goodbye(let goodbye):
      logger.info(
        "client detached", metadata: ["session": "\(id)", "reason": "\(LogField.quoted(goodbye.reason))"])
      phase = .closing
      link.close(flush: true)
    case .hello:
      send(.refused(Refused(status: .invalidDeviceState, refusedType: .hello)), packetId: frame.packetId)
    case .helloReply, .stateChange, .debugIO, .refused, .poolTrace:
      send(.refused(Refused(status: .invalidDeviceState, refusedType: frame.type)), packetId: frame.packetId)
    case .unknown(let type, _):
      send(.refused(Refused(status: .notImplemented, refusedType: type)), packetId: frame.packetId)
    }
  }

  // MARK: hello

  private func attach(_ hello: Hello, packetId: UInt32) {
    helloTimer?.cancel()
    helloTimer = nil
    logger[metadataKey: "client"] = "\(LogField.quoted(hello.clientName))"
    guard hello.major == ProtocolVersion.major else {
      reject(
        hello, packetId: packetId, .revisionMismatch,
        "protocol version \(hello.major).\(hello.minor) is not \(ProtocolVersion.major).x")
      return
    }
    if let token = policy.token, !token.matches(hello.token) {
      reject(
        hello, packetId: packetId, .accessDenied,
        hello.token.isEmpty ? "no token (the server requires one)" : "wrong token")
      return
    }
    switch hub.admit(self, wantsController: hello.flags.contains(.wantController)) {
    case .refused(let status, let reason):
      reject(hello, packetId: packetId, status, reason)
    case .admitted(let id, let role, let halted, let displaced):
      self.id = id
      self.role = role
      logger[metadataKey: "session"] = "\(id)"
      phase = .attached
      link.admitted()
      let requested = hello.maxPayload == 0 ? Limits.defaultMaxPayload : Int(hello.maxPayload)
      maxPayload = max(Limits.minMaxPayload, min(requested, policy.maxPayload))
      // Every event (and the hello reply that may carry one) must fit the negotiated payload.
      let requestedFrames = hello.breakStackFrames == 0 ? Limits.defaultBreakFrames : Int(hello.breakStackFrames)
      let room = (maxPayload - StateChange.fixedSize - 40 - policy.serverName.utf8.count) / KDProtocol.StackFrame.size
      breakFrames = max(0, min(requestedFrames, room, BreakEvent.capturedStackFrames))
      link.setMaxPayload(maxPayload)
      acknowledgements = hello.flags.contains(.ackRequested)
      var flags: HelloReply.Flags = []
      if acknowledgements { flags.insert(.acknowledgements) }
      if policy.token != nil { flags.insert(.tokenRequired) }
      if policy.allowTakeover { flags.insert(.takeoverAllowed) }
      let event = halted.map { StateChange($0, processors: hub.processors, maxFrames: breakFrames) }
      send(
        .helloReply(
          HelloReply(
            status: .success, role: role, maxPayload: UInt32(maxPayload), breakStackFrames: UInt32(breakFrames),
            sessionId: id, targetState: event == nil ? .running : .halted, flags: flags,
            window: UInt16(clamping: policy.window), serverName: policy.serverName, breakEvent: event)),
        packetId: packetId)
      logger.info(
        "audit: session attached as \(role == .controller ? "controller" : "observer")",
        metadata: ["target": "\(event == nil ? "running" : "halted")"])
      if let displaced {
        displaced.close(status: .deviceBusy, reason: "the controller role was taken over by \(peer)")
      }
      if role == .controller && hello.flags.contains(.breakOnAttach) && event == nil {
        logger.info("audit: break-in at attach")
        hub.kernel.breakIn()
      }
    }
  }

  private func reject(_ hello: Hello, packetId: UInt32, _ status: NTStatus, _ reason: String) {
    send(
      .helloReply(
        HelloReply(
          status: status, role: .none, maxPayload: UInt32(maxPayload), breakStackFrames: UInt32(breakFrames),
          sessionId: 0, targetState: .running, serverName: policy.serverName)), packetId: packetId)
    refuse(status, "hello refused: \(reason)")
  }

  // MARK: requests

  private func serve(_ request: ManipulateState, packetId: UInt32) {
    guard let handler = RequestDispatcher.handler(for: request.body) else {
      reply(request, status: .notImplemented, body: request.body, packetId: packetId)
      return
    }
    let mutates = type(of: handler).mutates
    if mutates && !hub.isController(id) {
      reply(request, status: .privilegeNotHeld, body: request.body, packetId: packetId)
      return
    }
    if mutates {
      logger.info("audit: \(request.api)", metadata: ["detail": "\(auditDetail(request.body))"])
    }
    let maxPayload = self.maxPayload
    let outcome: (NTStatus, Manipulate)
    do {
      let work = { (control: KernelControl) throws(KernelError) -> (NTStatus, Manipulate) in
        try handler.handle(RequestContext(control: control, maxPayload: maxPayload))
      }
      if let sliced = handler as? any SlicedRequestHandler {
        outcome = try serveInTurns(sliced, maxPayload: maxPayload)
      } else if type(of: handler).inlineWhenHalted, let inline = try hub.kernel.inspectHalted(work) {
        outcome = inline
      } else {
        outcome = try hub.kernel.sync(work)
      }
    } catch {
      outcome = (error.status, request.body)
      logger.debug("\(request.api) failed: \(error)")
    }
    if case .poolTraceSubscribe(let s) = request.body, outcome.0 == .success {
      traceSubscribed = s.subscribe
      traceDropped = 0
    }
    reply(request, status: outcome.0, body: outcome.1, packetId: packetId)
  }

  /// A long request, one piece per turn on the kernel thread: other sessions' requests and the target's own
  /// execution (the kernel pays it back, see Kernel.targetShare) come between the pieces.
  private func serveInTurns(_ handler: any SlicedRequestHandler, maxPayload: Int) throws(KernelError) -> (
    NTStatus, Manipulate
  ) {
    var cursor: UInt64?
    while true {
      let step = try hub.kernel.sync { control throws(KernelError) in
        try handler.step(RequestContext(control: control, maxPayload: maxPayload), from: cursor)
      }
      switch step {
      case .done(let status, let body): return (status, body)
      case .more(let next): cursor = next
      }
    }
  }

  private func auditDetail(_ body: Manipulate) -> String {
    switch body {
    case .writeVirtualMemory(let w): "\"\(w.data.count) bytes at 0x\(String(w.address, radix: 16))\""
    case .writeBreakPoint(let b): "\"at 0x\(String(b.address, radix: 16))\""
    case .restoreBreakPoint(let b): "\"handle \(b.handle)\""
    case .continue2(let c): c.singleStep ? "\"single step\"" : "go"
    default: "\"\""
    }
  }

  private func reply(_ request: ManipulateState, status: NTStatus, body: Manipulate, packetId: UInt32) {
    var reply = ManipulateState(
      body, status: status, processor: request.processor, processorLevel: request.processorLevel)
    if reply.encoded().count > maxPayload {
      // A handler's bug, never the peer's: refuse rather than exceed the negotiated size.
      reply = ManipulateState(request.body, status: .unsuccessful, processor: request.processor)
    }
    send(.manipulate(reply), packetId: packetId)
  }

  // MARK: events

  /// Queues an event; any thread.
  func deliver(_ event: HubEvent) {
    link.queue.async { [self] in
      guard phase == .attached else { return }
      switch event {
      case .halted(let breakEvent):
        sendEvent(.stateChange(StateChange(breakEvent, processors: hub.processors, maxFrames: breakFrames)))
      case .kernel(.running):
        sendEvent(.stateChange(StateChange(detail: .running)))
      case .kernel(.rebooted):
        break  // the fresh boot's own .running follows at once: one "running" per reboot
      case .kernel(.debugPrint(let text)):
        // Prints are the one event that can come in floods: they give way before they could crowd out
        // replies (the window counts queued frames) or grow the backlog.
        if link.pendingOutputBytes > policy.printBackpressureBytes || link.pendingOutputFrames >= policy.window / 2 {
          droppedPrints &+= 1
          return
        }
        sendEvent(
          .debugIO(
            DebugIO(text: String(decoding: text.utf8.prefix(maxPayload - 64), as: UTF8.self), dropped: droppedPrints)))
        droppedPrints = 0
      case .kernel(.poolTrace(let records, let dropped)):
        guard traceSubscribed else { return }
        sendPoolTrace(records, dropped: dropped)
      case .kernel(.halted):
        break  // the hub turns halts into .halted with their instruction bytes
      }
      if link.pendingOutputBytes > policy.maxPendingOutputBytes {
        refuse(.quotaExceeded, "client is not reading: \(link.pendingOutputBytes) bytes of events unsent")
      }
    }
  }

  /// Tag tracepoint events in POOL_TRACE packets that fit the negotiated payload. Like prints they give way
  /// under back-pressure; what is skipped is counted in the next packet's Dropped.
  private func sendPoolTrace(_ records: [PoolTraceRecord], dropped: UInt64) {
    traceDropped &+= dropped
    if link.pendingOutputBytes > policy.printBackpressureBytes || link.pendingOutputFrames >= policy.window / 2 {
      traceDropped &+= UInt64(records.count)
      return
    }
    var batch: [PoolTraceEvents.Event] = []
    var first = records.first?.sequence ?? 0
    var room = maxPayload - PoolTraceEvents.headerSize
    func flush() {
      guard !batch.isEmpty else { return }
      sendEvent(
        .poolTrace(PoolTraceEvents(firstSequence: first, dropped: UInt32(clamping: traceDropped), events: batch)))
      traceDropped = 0
      first += UInt64(batch.count)
      batch = []
      room = maxPayload - PoolTraceEvents.headerSize
    }
    for r in records {
      let event = PoolTraceEvents.Event(
        time: r.time, address: r.address, size: r.size, tag: r.tag, thread: r.thread, kind: r.kind.rawValue,
        paged: r.paged, frames: Array(r.frames.prefix(Limits.maxPoolSiteFrames)))
      if event.encodedSize > room { flush() }
      batch.append(event)
      room -= event.encodedSize
    }
    flush()
  }

  private func sendEvent(_ message: Message) {
    eventSequence &+= 1
    send(message, packetId: eventSequence)
  }

  private func sendCurrentState() {
    let halted = try? hub.kernel.sync { control -> RunState in control.runState }
    if case .halted(let event) = halted {
      sendEvent(.stateChange(StateChange(event, processors: hub.processors, maxFrames: breakFrames)))
    } else {
      sendEvent(.stateChange(StateChange(detail: .running)))
    }
  }

  // MARK: output and closing

  private func send(_ message: Message, packetId: UInt32, remember: Bool = true) {
    let bytes = message.encoded(packetId: packetId)
    if remember { lastDataFrame = bytes }
    link.send(bytes)
  }

  /// Tells the peer why, then disconnects it. One log line says who and why.
  private func refuse(_ status: NTStatus, _ reason: String) {
    guard phase != .closing else { return }
    logger.notice(
      "disconnecting", metadata: ["status": "\(status)", "reason": "\(LogField.quoted(reason, maxBytes: 200))"])
    send(.goodbye(Goodbye(status: status, reason: reason)), packetId: 0, remember: false)
    phase = .closing
    helloTimer?.cancel()
    frameTimer?.cancel()
    link.close(flush: true)
  }

  /// Closes from another thread (shutdown, takeover).
  func close(status: NTStatus, reason: String) {
    link.queue.async { [self] in refuse(status, reason) }
  }

  private func closed(_ error: TransportError?) {
    helloTimer?.cancel()
    frameTimer?.cancel()
    frameTimer = nil
    let wasAttached = id != 0
    phase = .closing
    if let error {
      logger.info("connection closed", metadata: ["error": "\(LogField.quoted("\(error)", maxBytes: 200))"])
    }
    if wasAttached {
      logger.info("audit: session ended")
      hub.remove(id)
    }
  }
}
