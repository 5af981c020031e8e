import Dispatch
import KDCOM
import KDKernel
import KDProtocol
import KDTransport
import Logging

/// One KD serial-protocol peer (Microsoft's kd or WinDbg attached with `-k com:ipport=…`, or any client of KD's
/// serial protocol) as a state machine over a ``ByteLink``: kdcom's framing and acknowledgements
/// (``KDCOMTargetChannel``), then the target's side of KD's exchange: a state change when the target halts,
/// DbgKd*Api requests served until Continue, the break-in byte while it runs, debug output.
///
/// It holds the target's controller role while connected (only when it is free, never by takeover); KD-protocol
/// observers see its breaks. `@unchecked Sendable`: every mutable property is touched only on `link.queue`; other
/// threads reach the session through `deliver` and `close`, which hop onto it.
final class KDCOMSession: HubMember, @unchecked Sendable {
  let link: any ByteLink
  let hub: TargetHub
  var peer: String { link.peer }
  var logger: Logger
  private let clock: any SessionClock
  private let now: @Sendable () -> UInt64
  private let onEnded: @Sendable () -> Void
  private var decoder = KDCOMDecoder()
  var channel: KDCOMTargetChannel
  private var id: UInt32 = 0
  private var ended = false
  private var retransmitTimer: (any SessionTimer)?
  private var armedDeadline: UInt64?

  /// The break the target is halted in, as the hub's events have told it; nil while it runs.
  var halted: BreakEvent?
  /// Breakpoints this session set (taken out when it goes), by handle.
  var breakpoints: Set<UInt32> = []

  init(
    link: any ByteLink, hub: TargetHub, clock: any SessionClock, timing: KDCOMTargetChannel.Timing = .init(),
    now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }, logger: Logger,
    onEnded: @escaping @Sendable () -> Void
  ) {
    self.link = link
    self.hub = hub
    self.clock = clock
    self.now = now
    self.channel = KDCOMTargetChannel(timing: timing)
    self.logger = logger
    self.onEnded = onEnded
    self.logger[metadataKey: "peer"] = "\(link.peer)"
    self.logger[metadataKey: "protocol"] = "kdcom"
  }

  func start() {
    link.queue.async { [self] in
      link.start { [self] event in receive(event) }
      switch hub.admit(self, wantsController: true, mayTakeOver: false) {
      case .refused(_, let reason):
        // kd has no way to be told why: the line closes, and the log says it.
        logger.notice("kdcom client refused", metadata: ["reason": "\(LogField.quoted(reason, maxBytes: 200))"])
        close(reason: "refused: " + reason)
      case .admitted(let id, _, let halted, _):
        self.id = id
        self.halted = halted
        logger[metadataKey: "session"] = "\(id)"
        logger.info(
          "audit: kdcom session attached as controller", metadata: ["target": "\(halted == nil ? "running" : "halted")"]
        )
        // A target that is already halted reports its state at once, as kdcom does when kd attaches to a
        // target waiting in the debugger.
        if let halted { sendStateChange(halted) }
      }
    }
  }

  // MARK: input

  private func receive(_ event: ByteLinkEvent) {
    switch event {
    case .bytes(let bytes):
      decoder.feed(bytes)
      while !ended, let input = decoder.next() { perform(channel.receive(input, now: now())) }
    case .closed(let error):
      if let error {
        logger.info("connection closed", metadata: ["error": "\(LogField.quoted("\(error)", maxBytes: 200))"])
      }
      end()
    }
  }

  /// Carries out what the channel decided, then re-arms the retransmission timer.
  func perform(_ actions: [KDCOMTargetChannel.Action]) {
    for action in actions where !ended {
      switch action {
      case .write(let bytes): link.send(bytes)
      case .deliver(let type, let payload): handlePacket(type: type, payload: payload)
      case .breakIn:
        guard halted == nil else { continue }
        logger.info("audit: break-in (kdcom break-in byte)")
        _ = hub.kernel.breakIn()
      case .reset:
        logger.debug("line reset by the debugger")
        if let halted { sendStateChange(halted) }
      }
    }
    rearm()
  }

  private func rearm() {
    let deadline = channel.nextDeadline
    guard deadline != armedDeadline else { return }
    retransmitTimer?.cancel()
    retransmitTimer = nil
    armedDeadline = deadline
    guard let deadline else { return }
    let delay = deadline > now() ? deadline - now() : 0
    retransmitTimer = clock.schedule(after: .nanoseconds(Int64(clamping: delay)), on: link.queue) { [weak self] in
      guard let self, !self.ended else { return }
      self.armedDeadline = nil
      self.perform(self.channel.tick(now: max(self.now(), deadline)))
    }
  }

  private func handlePacket(type: PacketType, payload: [UInt8]) {
    switch type {
    case .stateManipulate:
      guard halted != nil else {
        // A running target does not read requests (kdcom only polls for the break-in byte then).
        logger.debug("request while the target runs: dropped")
        return
      }
      serve(payload)
    default:
      logger.debug("packet type \(type) from the debugger: ignored")
    }
  }

  // MARK: output

  func send(_ type: PacketType, _ payload: [UInt8]) {
    perform(channel.send(type: type, payload: payload, now: now()))
  }

  func sendStateChange(_ event: BreakEvent) {
    let ours = StateChange(event, processors: 1, maxFrames: 0).encoded()
    send(.stateChange64, KDCOMStateChange.from(ourPayload: ours))
  }

  // MARK: events

  func deliver(_ event: HubEvent) {
    link.queue.async { [self] in
      guard !ended else { return }
      switch event {
      case .halted(let breakEvent):
        halted = breakEvent
        sendStateChange(breakEvent)
      case .kernel(.running):
        halted = nil
      case .kernel(.rebooted):
        breakpoints = []
      case .kernel(.debugPrint(let text)):
        var io = DebugIO(text: String(decoding: Array(text.utf8.prefix(KDCOMPacket.maxPayload - 16)), as: UTF8.self))
          .encoded()
        io[4] = UInt8(truncatingIfNeeded: KDCOMStateChange.processorLevel)
        send(.debugIO, io)
      case .kernel(.halted), .kernel(.poolTrace):
        break  // the hub turns halts into .halted; tag tracepoints stream to KD-protocol sessions only
      }
    }
  }

  func close(status: NTStatus, reason: String) {
    link.queue.async { [self] in close(reason: reason) }
  }

  func close(reason: String) {
    guard !ended else { return }
    logger.notice("disconnecting", metadata: ["reason": "\(LogField.quoted(reason, maxBytes: 200))"])
    link.close(flush: true)
    end()
  }

  private func end() {
    guard !ended else { return }
    ended = true
    retransmitTimer?.cancel()
    retransmitTimer = nil
    if id != 0 {
      let owned = breakpoints
      breakpoints = []
      if !owned.isEmpty {
        _ = try? hub.kernel.sync { control throws(KernelError) in
          for h in owned { try? control.removeBreakpoint(handle: h) }
        }
      }
      logger.info("audit: kdcom session ended")
      hub.remove(id)
      id = 0
    }
    onEnded()
  }
}
