import Dispatch
import KDGDBRemote
import KDKernel
import KDProtocol
import KDTransport
import Logging

/// One GDB remote client (gdb, lldb, Ghidra's debugger) as a state machine over a ``ByteLink``: packets in,
/// replies and stop replies out. It holds the target's controller role for as long as it is connected (it takes
/// the role only when it is free, never by takeover); KD sessions see its breaks as observers do.
///
/// All-stop, as gdbserver: the target is halted whenever gdb is not waiting for a stop reply; Ctrl-C (0x03)
/// breaks in while it runs. `@unchecked Sendable`: every mutable property is touched only on `link.queue`;
/// other threads reach the session through `deliver` and `close`, which hop onto it.
final class GDBSession: HubMember, @unchecked Sendable {
  /// The largest packet the session takes or sends, advertised as PacketSize.
  static let packetSize = 0x10000
  /// Bytes of memory one `m` reply carries at most (two hex digits a byte, within PacketSize).
  static let maxReadPerPacket = (packetSize - 16) / 2

  /// What gdb is waiting for: nothing, or a stop reply (after `?` on a running target, `c`, `s`, `vCont`).
  enum Waiting {
    case nothing
    /// `resumed`: the wait follows a resume (console output may be sent meanwhile, and the `.running` event of
    /// that resume must come before the halt that answers it).
    case stop(resumed: Bool)
  }

  let link: any ByteLink
  let hub: TargetHub
  var peer: String { link.peer }
  var logger: Logger
  private let onEnded: @Sendable () -> Void
  private var decoder = GDBPacketDecoder(maxPayload: GDBSession.packetSize)
  /// Off after QStartNoAckMode: no `+`/`-` either way.
  var acknowledgements = true
  private var lastPacket: [UInt8] = []
  private var id: UInt32 = 0
  private var ended = false

  /// The target's state as the hub's events have told it, in order: the break it is halted in, or nil.
  var halted: BreakEvent?
  var waiting = Waiting.nothing
  /// The resume being waited on has not reported `.running` yet: a halt before it is an older one.
  var awaitingRunning = false
  /// A stop reply has said `library:` (the first one does).
  var librariesAnnounced = false
  /// gdb announced `swbreak+` in qSupported: software-breakpoint stops say so.
  var peerReportsSwbreak = false
  /// `Hg`: the thread (KTHREAD address) registers are read from; nil for the thread the target stopped in.
  var registerThread: UInt32?
  /// Software breakpoints gdb inserted: address -> kernel handle, and whether this session set it (a breakpoint
  /// already there, a KD client's, is shared and left in place on removal).
  var softwareBreakpoints: [UInt32: (handle: UInt32, owned: Bool)] = [:]
  /// Files gdb opened with `vFile:open` (module symbol files), by descriptor.
  var openFiles: [UInt64: [UInt8]] = [:]
  var nextFileDescriptor: UInt64 = 3
  /// Z1-Z4 points gdb inserted, by (type, address, length): the kernel's data-breakpoint handle.
  var dataBreakpoints: [DataPointKey: UInt32] = [:]

  struct DataPointKey: Hashable {
    var type: UInt8
    var address: UInt32
    var length: UInt32
  }

  init(link: any ByteLink, hub: TargetHub, logger: Logger, onEnded: @escaping @Sendable () -> Void) {
    self.link = link
    self.hub = hub
    self.logger = logger
    self.onEnded = onEnded
    self.logger[metadataKey: "peer"] = "\(link.peer)"
    self.logger[metadataKey: "protocol"] = "gdb-remote"
  }

  func start() {
    link.queue.async { [self] in
      link.start { [self] event in receive(event) }
      switch hub.admit(self, wantsController: true, mayTakeOver: false) {
      case .refused(_, let reason):
        // The client's first packet gets an E reply; then the connection closes.
        logger.notice("gdb client refused", metadata: ["reason": "\(LogField.quoted(reason, maxBytes: 200))"])
        refusal = reason
      case .admitted(let id, _, let halted, _):
        self.id = id
        self.halted = halted
        logger[metadataKey: "session"] = "\(id)"
        logger.info(
          "audit: gdb session attached as controller", metadata: ["target": "\(halted == nil ? "running" : "halted")"])
      }
    }
  }

  /// Set when the controller role could not be had: why (for the log; the client sees `E01`).
  private var refusal: String?

  // MARK: input

  private func receive(_ event: ByteLinkEvent) {
    switch event {
    case .bytes(let bytes):
      decoder.feed(bytes)
      while !ended, let input = decoder.next() { handle(input) }
    case .closed(let error):
      if let error {
        logger.info("connection closed", metadata: ["error": "\(LogField.quoted("\(error)", maxBytes: 200))"])
      }
      end()
    }
  }

  private func handle(_ input: GDBInput) {
    switch input {
    case .acknowledged: break
    case .resendRequested:
      if acknowledgements && !lastPacket.isEmpty { link.send(lastPacket) }
    case .interrupt:
      interrupt()
    case .malformed(let error):
      logger.debug("malformed packet: \(error)")
      if acknowledgements { link.send([UInt8(ascii: "-")]) }
    case .packet(let payload):
      if acknowledgements { link.send([UInt8(ascii: "+")]) }
      if let refusal {
        reply("E01")
        close(reason: "refused: " + refusal)
        return
      }
      let request: GDBRequest
      do {
        request = try GDBRequest(parsing: payload)
      } catch {
        logger.debug("bad request: \(error)")
        reply("E01")
        return
      }
      serve(request)
    }
  }

  private func interrupt() {
    guard case .stop = waiting, halted == nil || awaitingRunning else { return }
    logger.info("audit: break-in (gdb interrupt)")
    hub.kernel.breakIn()
  }

  // MARK: output

  /// Sends one reply packet (remembered for a `-`).
  func reply(_ payload: [UInt8]) { replyFramed(GDBPacketEncoder.frame(payload)) }

  /// Sends one reply already framed.
  func replyFramed(_ framed: [UInt8]) {
    if acknowledgements { lastPacket = framed }
    link.send(framed)
  }

  func reply(_ text: String) { reply(Array(text.utf8)) }

  /// Console output (`O` packet), only while gdb waits for a resume to stop.
  func console(_ text: String) {
    guard case .stop(resumed: true) = waiting, link.pendingOutputBytes < 1 << 20 else { return }
    let hexText = GDBHex.encode(text.utf8.prefix(Self.maxReadPerPacket))
    link.send(GDBPacketEncoder.frame("O" + hexText))
  }

  /// Tells gdb where the target stopped, ending the wait.
  func reportStop(_ event: BreakEvent) {
    if case .bugCheck(let code, let parameters) = event.reason {
      console(BugCheckText.lines(code: code, parameters: parameters))
    }
    waiting = .nothing
    reply(stopReply(event))
  }

  /// The stop reply for `event`. The session's first says `library:` too: gdb loads the modules' symbols
  /// (``GDBSymbolFile``) before it shows the first stop, which it does not do by itself without an executable.
  func stopReply(_ event: BreakEvent) -> String {
    var stop = GDBStopReply(event, session: self)
    stop.librariesChanged = !librariesAnnounced
    librariesAnnounced = true
    return stop.payload
  }

  // MARK: events

  func deliver(_ event: HubEvent) {
    link.queue.async { [self] in
      guard !ended else { return }
      switch event {
      case .halted(let breakEvent):
        halted = breakEvent
        if case .stop = waiting, !awaitingRunning { reportStop(breakEvent) }
      case .kernel(.running):
        halted = nil
        awaitingRunning = false
      case .kernel(.rebooted):
        // A fresh machine: every breakpoint gdb inserted is gone with the old one.
        softwareBreakpoints = [:]
        dataBreakpoints = [:]
        registerThread = nil
      case .kernel(.debugPrint(let text)):
        console(text)
      case .kernel(.halted), .kernel(.poolTrace):
        break  // the hub turns halts into .halted; tag tracepoints stream to KD sessions only
      }
    }
  }

  func close(status: NTStatus, reason: String) {
    link.queue.async { [self] in close(reason: reason) }
  }

  /// Disconnects after queued replies have gone.
  func close(reason: String) {
    guard !ended else { return }
    logger.notice("disconnecting", metadata: ["reason": "\(LogField.quoted(reason, maxBytes: 200))"])
    link.close(flush: true)
    end()
  }

  private func end() {
    guard !ended else { return }
    ended = true
    if id != 0 {
      removeInsertedPoints()
      logger.info("audit: gdb session ended")
      hub.remove(id)
      id = 0
    }
    onEnded()
  }

  /// Takes out every breakpoint and watchpoint this session put in (a client gone without `z` packets).
  func removeInsertedPoints() {
    let software = softwareBreakpoints.values.filter(\.owned).map(\.handle)
    let data = Array(dataBreakpoints.values)
    softwareBreakpoints = [:]
    dataBreakpoints = [:]
    guard !software.isEmpty || !data.isEmpty else { return }
    _ = try? hub.kernel.sync { control throws(KernelError) in
      for h in software { try? control.removeBreakpoint(handle: h) }
      for h in data { try? control.removeDataBreakpoint(handle: h) }
    }
  }

  /// The end of the session from gdb's side (`D`, `k`): the link closes once the reply is out.
  func finish(reason: String) {
    link.close(flush: true)
    logger.info("audit: gdb client \(reason)")
    end()
  }
}

/// KD's bug-check banner lines, for gdb's console.
enum BugCheckText {
  static func lines(code: UInt32, parameters: [UInt32]) -> String {
    let p = (parameters + [0, 0, 0, 0]).prefix(4).map { "0x" + hex8($0).uppercased() }
    return "*** Fatal System Error: 0x\(hex8(code))\n                       (\(p.joined(separator: ",")))\n"
  }

  static func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
  }
}
