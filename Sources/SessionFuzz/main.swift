// libFuzzer target for a whole server session: a real TargetHost (the default scenario at pace 1) serves
// clients attached over in-memory frame links, and each input is read as a sequence of well-shaped operations
// with edge values in every field: a hello, requests for every ApiNumber, break-ins, continues, reboots,
// RESEND/RESET/ACK control packets, a second client, GOODBYE and now and then a raw malformed frame.
//
// Invariants, each a fatalError (so a finding): every manipulate request gets exactly one reply, with its
// packet id, its ApiNumber, its Processor fields and a status other than STATUS_PENDING, unless the session
// ends with a GOODBYE (or the link closes) first; a hello gets a HELLO_REPLY with its packet id or a GOODBYE; no
// frame after an accepted hello is larger than the MaxPayload it negotiated; a GOODBYE from the client closes
// the link; once every client has gone, the host has no session left. A trap or sanitizer report is a finding
// too. Each input starts from a freshly rebooted, halted target when the one before it could change state.
// Same build and replay as KDProtocolFuzz (KDFuzzHarness); docs/PROTOCOL.md, "Fuzzing".
import Dispatch
import KDFuzzHarness
import KDKernel
import KDProtocol
import KDServer
import KDTransport
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The client's end of one in-memory link: every frame received, in order, decoded.
final class FuzzClient: Sendable {
  struct Received {
    let packetId: UInt32
    let payloadBytes: Int
    let message: Message?
  }
  struct State {
    var received: [Received] = []
    var closed = false
  }

  let link: any FrameLink
  let name: String
  private let state = Mutex(State())
  private let arrived = DispatchSemaphore(value: 0)
  /// Index of the next frame ``waitFor(seconds:_:)`` looks at.
  private let cursor = Atomic<Int>(0)

  init(_ link: any FrameLink, name: String) {
    self.link = link
    self.name = name
    // The link drops its handler when it closes (every client is closed before the input ends).
    link.start { [self] event in
      switch event {
      case .frame(let frame):
        let message = try? Message(frame: frame)
        state.withLock {
          $0.received.append(Received(packetId: frame.packetId, payloadBytes: frame.payload.count, message: message))
        }
      case .closed: state.withLock { $0.closed = true }
      case .malformed(let error): fatalError("\(name): the server sent bytes that are not a frame: \(error)")
      case .partialFrame: return
      }
      arrived.signal()
    }
  }

  var isClosed: Bool { state.withLock { $0.closed } }

  func send(_ message: Message, packetId: UInt32) { link.send(message.encoded(packetId: packetId)) }

  enum Outcome {
    case found(Received)
    case goodbye(Goodbye)
    case closed
    case timedOut
  }

  /// Walks the frames received from the cursor on, waiting up to `seconds` for more: `match` says, for each,
  /// whether it is the one awaited (true), unrelated (false: skipped), or throws a finding (it calls fatalError).
  func waitFor(seconds: Double, _ match: (Received) -> Bool) -> Outcome {
    let deadline = DispatchTime.now() + seconds
    while true {
      let (next, closed) = state.withLock { s -> (Received?, Bool) in
        let i = cursor.load(ordering: .relaxed)
        return (i < s.received.count ? s.received[i] : nil, s.closed)
      }
      if let next {
        cursor.add(1, ordering: .relaxed)
        if case .goodbye(let goodbye) = next.message { return .goodbye(goodbye) }
        if match(next) { return .found(next) }
        continue
      }
      if closed { return .closed }
      if arrived.wait(timeout: deadline) == .timedOut {
        // One last look: a frame may have come in with the timeout.
        let late = state.withLock { s in cursor.load(ordering: .relaxed) < s.received.count || s.closed }
        if !late { return .timedOut }
      }
    }
  }
}

/// Input bytes read as choices; past the end, every choice is 0.
struct Choices {
  let bytes: [UInt8]
  var at = 0

  mutating func u8() -> UInt8 {
    defer { at += 1 }
    return at < bytes.count ? bytes[at] : 0
  }
  var exhausted: Bool { at >= bytes.count }
  mutating func raw32() -> UInt32 { (0..<4).reduce(0) { v, i in v | UInt32(u8()) << (8 * UInt32(i)) } }
  mutating func u16() -> UInt16 {
    switch u8() % 5 {
    case 0: 0
    case 1: 1
    case 2: 0x7fff
    case 3: 0xffff
    default: UInt16(u8())
    }
  }
  /// Mapped kernel addresses: nt (KernelLayout), the first driver, paged pool.
  mutating func kernelAddress() -> UInt32 {
    let bases: [UInt32] = [0x804d_7000, 0xf7a0_0000, 0xe100_0000, 0x8000_0000, 0xffdf_f000]
    return bases[Int(u8()) % bases.count] &+ UInt32(u8()) << 4
  }
  mutating func u32() -> UInt32 {
    switch u8() % 9 {
    case 0: 0
    case 1: 1
    case 2: 0x7fff_ffff
    case 3: 0xffff_ffff
    case 4: 0x8000_0000
    case 5: UInt32(u8())
    case 6: kernelAddress()
    case 7: raw32()
    default: UInt32(u8()) << 8 | UInt32(u8())
    }
  }
  mutating func u64() -> UInt64 {
    switch u8() % 10 {
    case 0: 0
    case 1: 1
    case 2: 0x7fff_ffff
    case 3: 0xffff_ffff
    case 4: 1 << 32
    case 5: UInt64.max
    case 6: 0xffff_ffff_ffff_f000
    case 7: UInt64(kernelAddress())
    case 8: UInt64(raw32())
    default: UInt64(raw32()) << 32 | UInt64(raw32())
    }
  }
  /// Transfer lengths around the payload limits.
  mutating func length() -> UInt32 {
    let limits: [UInt32] = [0, 1, 4, 16, 0x1000, 0x7fc8, 0x7fc9, 0x8000, 0xefc8, 0xefc9, 0xf000, 0x10000]
    switch u8() % 4 {
    case 0: return limits[Int(u8()) % limits.count]
    case 1: return UInt32(u8())
    default: return u32()
    }
  }
  /// Thread ids are multiples of 4; 0 is the idle thread (or "current").
  mutating func threadId() -> UInt32 {
    switch u8() % 3 {
    case 0: UInt32(u8() % 16) * 4
    case 1: UInt32(u8())
    default: u32()
    }
  }
  mutating func count(max: Int) -> Int { Int(u8()) % (max + 1) }
  mutating func bytes(max: Int) -> [UInt8] {
    let n = count(max: max)
    let fill = u8()
    return (0..<n).map { fill &+ UInt8(truncatingIfNeeded: $0) }
  }
  /// Large blocks as a repeated byte, so the input stays small: up to what a frame can carry after the
  /// manipulate header (the encoder traps on more), past the default MaxPayload and exactly at each limit.
  mutating func block() -> [UInt8] {
    let sizes = [0, 1, 4, 16, 0x3c8, 0x3c9, 0x7fc8, 0x7fc9, Limits.hardMaxPayload - ManipulateState.headerSize]
    let n = u8() % 2 == 0 ? sizes[Int(u8()) % sizes.count] : Int(u8())
    return [UInt8](repeating: u8(), count: n)
  }
}

/// One host for the whole run; each input attaches its own clients.
final class SessionUnderFuzz: Sendable {
  let host: TargetHost
  /// The previous input may have changed the target (a mutating request, a break-in): reboot before the next.
  private let dirty = Atomic<Bool>(true)
  static let replySeconds = 5.0
  /// Reboot, continue and search may wait on the kernel thread behind the target's share.
  static let slowReplySeconds = 30.0
  static let maxOperations = 48

  init() {
    var policy = SessionPolicy(serverName: "kdserver-fuzz")
    policy.window = 8
    let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    do {
      host = try TargetHost(
        kernel: KernelConfiguration(scenario: "default", pace: 1), policy: policy, logger: logger)
    } catch {
      fatalError("KDSessionFuzz: cannot boot the default scenario: \(error)")
    }
    host.start()
  }

  /// A fresh machine, halted: reboot and break in through the protocol, as a controller.
  func resetTarget() {
    let client = FuzzClient(host.attachInMemory(), name: "reset")
    defer {
      client.link.close(flush: true)
      waitForNoSessions()
    }
    client.send(.hello(Hello(clientName: "reset", flags: [.wantController])), packetId: 1)
    guard case .found(let r) = client.waitFor(seconds: Self.replySeconds, { $0.packetId == 1 }),
      case .helloReply(let reply) = r.message, reply.status == .success, reply.role == .controller
    else { fatalError("reset: the controller's hello was not accepted") }
    client.send(.manipulate(ManipulateState(.reboot(Reboot()))), packetId: 2)
    guard
      case .found(let rebooted) = client.waitFor(seconds: Self.slowReplySeconds, { $0.packetId == 2 && isReply($0) }),
      case .manipulate(let m) = rebooted.message, m.status == .success
    else { fatalError("reset: no successful reply to Reboot") }
    client.link.send(Message.breakIn.encoded(packetId: 0))
    let halted = client.waitFor(seconds: Self.slowReplySeconds) { r in
      if case .stateChange(let s) = r.message, case .exception = s.detail { return true }
      return false
    }
    guard case .found = halted else { fatalError("reset: no break event after a break-in (\(halted))") }
  }

  func waitForNoSessions() {
    let deadline = DispatchTime.now() + 10
    while host.sessionCount != 0 {
      guard DispatchTime.now() < deadline else {
        fatalError("\(host.sessionCount) sessions still attached 10 s after every client closed its link")
      }
      usleep(200)
    }
  }

  func fuzzOne(_ data: [UInt8]) {
    guard !data.isEmpty else { return }
    if dirty.exchange(false, ordering: .relaxed) { resetTarget() }
    var run = InputRun(host: host, choices: Choices(bytes: data))
    run.go()
    if run.changedTarget { dirty.store(true, ordering: .relaxed) }
    for client in run.clients { client.client.link.close(flush: true) }
    waitForNoSessions()
  }
}

func isReply(_ r: FuzzClient.Received) -> Bool {
  if case .manipulate = r.message { return true }
  return false
}

/// One client as the input sees it.
struct Attached {
  let client: FuzzClient
  /// The MaxPayload its hello reply granted; nil before an accepted hello.
  var maxPayload: Int?
  var ended = false
  /// The last reply taken, the one a RESEND may repeat.
  var lastReply: Message?
  var nextId: UInt32 = 0x100
}

/// The operations of one input, on one or two clients.
struct InputRun {
  let host: TargetHost
  var choices: Choices
  var clients: [Attached] = []
  var current = 0
  var changedTarget = false

  init(host: TargetHost, choices: Choices) {
    self.host = host
    self.choices = choices
  }

  mutating func go() {
    attach()
    for _ in 0..<SessionUnderFuzz.maxOperations {
      if choices.exhausted { break }
      if clients[current].ended {
        guard clients.count < 2 else { break }
        attach()
        continue
      }
      step()
    }
  }

  /// A new client whose first frame is a hello with edge values (or, rarely, something else).
  mutating func attach() {
    let client = FuzzClient(host.attachInMemory(), name: "client \(clients.count)")
    clients.append(Attached(client: client))
    current = clients.count - 1
    let flags = choices.u8()
    var helloFlags: Hello.Flags = []
    if flags & 1 != 0 { helloFlags.insert(.wantController) }
    if flags & 2 != 0 { helloFlags.insert(.breakOnAttach) }
    if flags & 4 != 0 { helloFlags.insert(.ackRequested) }
    if flags & 8 != 0 { helloFlags = Hello.Flags(rawValue: choices.u32()) }
    if flags & 0x30 == 0x30 {
      // No hello first: a request, a break-in or a goodbye.
      step()
      return
    }
    let payloads: [UInt32] = [
      0, 1, 1023, UInt32(Limits.minMaxPayload), 0x8000, UInt32(Limits.hardMaxPayload), 0xf001, 0xffff_ffff,
    ]
    let maxPayload = flags & 0x40 != 0 ? payloads[Int(choices.u8()) % payloads.count] : choices.u32()
    let frames = choices.u8() % 4 == 0 ? choices.u32() : UInt32(choices.count(max: 257))
    let major = flags & 0x80 != 0 ? choices.u16() : ProtocolVersion.major
    let hello = Hello(
      clientName: String(decoding: choices.bytes(max: 260), as: UTF8.self).prefix(300).description,
      flags: helloFlags, token: choices.bytes(max: 260), maxPayload: maxPayload, breakStackFrames: frames,
      major: major, minor: choices.u16())
    if helloFlags.contains(.breakOnAttach) { changedTarget = true }
    let id = choices.raw32()
    client.send(.hello(hello), packetId: id)
    let outcome = client.waitFor(seconds: SessionUnderFuzz.replySeconds) { r in
      if trace { print("TRACE hello frame", r.packetId, String(describing: r.message).prefix(200)) }
      guard case .helloReply = r.message else { return false }
      guard r.packetId == id else { fatalError("HELLO_REPLY with packet id \(r.packetId) for a hello with \(id)") }
      return true
    }
    switch outcome {
    case .found(let r):
      guard case .helloReply(let reply) = r.message else { return }
      if reply.status == .success {
        clients[current].maxPayload = Int(reply.maxPayload)
        check(r, maxPayload: Int(reply.maxPayload))
      } else {
        clients[current].ended = true
      }
    case .goodbye, .closed: clients[current].ended = true
    case .timedOut:
      if client.isClosed {
        clients[current].ended = true
      } else {
        fatalError("no HELLO_REPLY and no GOODBYE for \(hello)")
      }
    }
  }

  func check(_ r: FuzzClient.Received, maxPayload: Int) {
    if r.payloadBytes > maxPayload {
      fatalError("a \(String(describing: r.message)) of \(r.payloadBytes) bytes over the negotiated \(maxPayload)")
    }
  }

  mutating func nextId() -> UInt32 {
    switch choices.u8() % 8 {
    case 0: return 0
    case 1: return 0xffff_ffff
    case 2: return choices.raw32()
    default:
      clients[current].nextId &+= 1
      return clients[current].nextId
    }
  }

  /// A request for every ApiNumber (and one that is none), its fields from `choices`.
  mutating func request() -> ManipulateState {
    let body: Manipulate
    switch choices.u8() % 32 {
    case 0: body = .readVirtualMemory(ReadVirtualMemory(address: choices.u64(), transferCount: choices.length()))
    case 1: body = .writeVirtualMemory(WriteVirtualMemory(address: choices.u64(), data: choices.block()))
    case 2: body = .getContext(GetContext(thread: choices.threadId()))
    case 3:
      let context = choices.u8() % 4 == 0 ? nil : X86Context(registers: (0..<16).map { _ in choices.u32() })
      body = .setContext(SetContext(thread: choices.threadId(), context: context))
    case 4: body = .writeBreakPoint(WriteBreakPoint(address: choices.u64(), handle: choices.u32()))
    case 5: body = .restoreBreakPoint(RestoreBreakPoint(handle: choices.u32()))
    case 6: body = .continue(Continue(continueStatus: choices.u32()))
    case 7:
      body = .continue2(
        Continue2(
          continueStatus: choices.u32(), singleStep: choices.u8() % 2 == 0, dr7: choices.u32(),
          currentSymbolStart: choices.u32(), currentSymbolEnd: choices.u32()))
    case 8: body = .reboot(Reboot())
    case 9: body = .getVersion(GetVersion())
    case 10:
      body = .writeBreakPointEx(
        WriteBreakPointEx(
          entries: (0..<choices.count(max: 40)).map { _ in BreakPointEntry(address: choices.u64()) },
          continueStatus: choices.u32()))
    case 11:
      body = .restoreBreakPointEx(
        RestoreBreakPointEx(
          entries: (0..<choices.count(max: 40)).map { _ in BreakPointEntry(handle: choices.u32()) },
          continueStatus: choices.u32()))
    case 12:
      body = .searchMemory(
        SearchMemory(address: choices.u64(), length: choices.u64(), pattern: choices.bytes(max: 300)))
    case 13: body = .queryMemory(QueryMemory(address: choices.u64()))
    case 14: body = .getStackTrace(GetStackTrace(thread: choices.threadId(), maxFrames: choices.u32()))
    case 15:
      body = .readMemoryBatch(
        ReadMemoryBatch(
          ranges: (0..<choices.count(max: 70)).map { _ in .init(address: choices.u64(), length: choices.length()) }))
    case 16: body = .listModules(ListModules(startIndex: choices.u32(), maxEntries: choices.u32()))
    case 17: body = .listThreads(ListThreads(startIndex: choices.u32(), maxEntries: choices.u32()))
    case 18:
      body = .getSymbols(GetSymbols(moduleBase: choices.u64(), startIndex: choices.u32(), maxEntries: choices.u32()))
    case 19:
      let access = WriteDataBreakPoint.Access(rawValue: UInt32(choices.u8() % 4)) ?? .write
      body = .writeDataBreakPoint(WriteDataBreakPoint(address: choices.u64(), size: choices.u32(), access: access))
    case 20: body = .restoreDataBreakPoint(RestoreDataBreakPoint(handle: choices.u32()))
    case 21: body = .getPoolSites(GetPoolSites(startIndex: choices.u32(), maxEntries: choices.u32()))
    case 22:
      let operation = TagSplit.Operation(rawValue: UInt32(choices.u8() % 3)) ?? .list
      body = .tagSplit(TagSplit(operation: operation, tag: choices.u32()))
    case 23:
      let operation = PoolTraceControl.Operation(rawValue: UInt32(choices.u8() % 3)) ?? .status
      body = .poolTraceControl(
        PoolTraceControl(
          operation: operation, tag: choices.u32(), kinds: PoolTraceControl.Kinds(rawValue: UInt32(choices.u8() % 4)),
          limit: choices.u32()))
    case 24: body = .poolTraceSubscribe(PoolTraceSubscribe(subscribe: choices.u8() % 2 == 0))
    case 25: body = .poolScan(PoolScan(startIndex: choices.u32(), maxEntries: choices.u32()))
    case 26: body = .getScenarioLeaks(GetScenarioLeaks())
    case 27: body = .haltAt(HaltAt(virtualTime: choices.u64()))
    case 28: body = .getSymbolFile(GetSymbolFile(moduleBase: UInt64(choices.u32())))
    case 29:
      let operation = VerifierSettings.Operation(rawValue: UInt32(choices.u8() % 3)) ?? .query
      body = .verifierSettings(
        VerifierSettings(
          operation: operation,
          settings: (0..<choices.count(max: 3)).map { _ in
            .init(flags: choices.u32(), name: String(decoding: choices.bytes(max: 20), as: UTF8.self))
          }))
    case 30: body = .unloadDriver(UnloadDriver(name: String(decoding: choices.bytes(max: 12), as: UTF8.self)))
    default:
      body = .unknown(
        api: ApiNumber(rawValue: choices.u32()), union: choices.bytes(max: 40), data: choices.bytes(max: 64))
    }
    let status = choices.u8() % 8 == 0 ? NTStatus(choices.u32()) : .pending
    return ManipulateState(body, status: status, processor: choices.u16(), processorLevel: choices.u16())
  }

  static func isMutating(_ body: Manipulate) -> Bool {
    switch body {
    case .writeVirtualMemory, .setContext, .writeBreakPoint, .restoreBreakPoint, .continue, .continue2, .reboot,
      .writeBreakPointEx, .restoreBreakPointEx, .tagSplit, .poolTraceControl, .haltAt, .verifierSettings, .unloadDriver:
      true
    default: false
    }
  }

  /// Sends `requests` back to back, then waits for each reply in order.
  mutating func serve(_ requests: [(ManipulateState, UInt32)]) {
    let client = clients[current].client
    for (request, id) in requests {
      if trace { print("TRACE send", id, client.name, request) }
      if Self.isMutating(request.body) { changedTarget = true }
      client.send(.manipulate(request), packetId: id)
    }
    for (request, id) in requests {
      let slow: Bool
      switch request.body {
      case .reboot, .continue, .continue2, .searchMemory, .setContext: slow = true
      default: slow = false
      }
      let maxPayload = clients[current].maxPayload
      var replied: Message?
      let outcome = client.waitFor(seconds: slow ? SessionUnderFuzz.slowReplySeconds : SessionUnderFuzz.replySeconds) {
        r in
        if trace { print("TRACE frame", r.packetId, String(describing: r.message).prefix(200)) }
        if let maxPayload { check(r, maxPayload: maxPayload) }
        guard case .manipulate(let reply) = r.message else { return false }
        guard r.packetId == id else {
          fatalError("a \(reply.api) reply with packet id \(r.packetId) while waiting for \(id) (\(request.api))")
        }
        guard reply.api == request.api else {
          fatalError("the reply to \(request.api) (packet id \(id)) is a \(reply.api)")
        }
        guard reply.status != .pending else { fatalError("the reply to \(request.api) says STATUS_PENDING") }
        guard reply.processor == request.processor, reply.processorLevel == request.processorLevel else {
          fatalError(
            "the reply to \(request.api) has Processor \(reply.processor)/\(reply.processorLevel), the request "
              + "\(request.processor)/\(request.processorLevel)")
        }
        replied = r.message
        return true
      }
      if let replied { clients[current].lastReply = replied }
      switch outcome {
      case .found: continue
      case .goodbye, .closed:
        clients[current].ended = true
        return
      case .timedOut:
        if client.isClosed {
          clients[current].ended = true
          return
        }
        fatalError("no reply to \(request.api) (packet id \(id)) and no GOODBYE: \(request)")
      }
    }
  }

  /// After a RESEND: the server repeats its last data frame (which may be the last reply, packet id and all)
  /// before it serves a GetVersion sent behind it, so at most that one repeat may come before its reply.
  mutating func resendBarrier() {
    let client = clients[current].client
    clients[current].nextId &+= 1
    let id = clients[current].nextId | 0x4000_0000
    let lastReply = clients[current].lastReply
    var repeats = 0
    client.send(.manipulate(ManipulateState(.getVersion(GetVersion()))), packetId: id)
    let outcome = client.waitFor(seconds: SessionUnderFuzz.replySeconds) { r in
      guard case .manipulate(let reply) = r.message else { return false }
      if r.packetId == id && reply.api == .getVersion { return true }
      guard repeats == 0, let lastReply, r.message == lastReply else {
        fatalError("after a RESEND, a \(reply.api) reply with packet id \(r.packetId) that is no repeat of the last")
      }
      repeats += 1
      return false
    }
    switch outcome {
    case .found(let r): clients[current].lastReply = r.message
    case .goodbye, .closed: clients[current].ended = true
    case .timedOut:
      if client.isClosed {
        clients[current].ended = true
      } else {
        fatalError("no reply to the GetVersion after a RESEND")
      }
    }
  }

  /// Waits briefly for the link to close (after a GOODBYE or a frame the server must refuse).
  mutating func expectClose(seconds: Double, finding: String?) {
    let client = clients[current].client
    clients[current].ended = true
    let outcome = client.waitFor(seconds: seconds) { _ in false }
    if case .timedOut = outcome, !client.isClosed, let finding { fatalError(finding) }
  }

  mutating func step() {
    let client = clients[current].client
    switch choices.u8() % 16 {
    case 0...6:
      serve([(request(), nextId())])
    case 7:
      // Pipelined: up to twice the window in flight.
      let n = 1 + choices.count(max: 15)
      var batch: [(ManipulateState, UInt32)] = []
      for _ in 0..<n { batch.append((request(), nextId())) }
      serve(batch)
    case 8:
      changedTarget = true
      client.link.send(Message.breakIn.encoded(packetId: 0))
      // A controller's break-in halts the target: give the event a moment, so what follows sees it halted.
      _ = client.waitFor(seconds: 0.05) { r in
        if case .stateChange(let s) = r.message, case .exception = s.detail { return true }
        return false
      }
    case 9:
      client.send(.resend, packetId: choices.raw32())
      resendBarrier()
    case 10:
      client.send(choices.u8() % 2 == 0 ? .reset : .acknowledge, packetId: choices.raw32())
    case 11:
      client.send(.goodbye(Goodbye(status: NTStatus(choices.u32()), reason: "fuzz")), packetId: choices.raw32())
      expectClose(seconds: SessionUnderFuzz.replySeconds, finding: "the link is still open after the client's GOODBYE")
    case 12:
      // Another data frame the server does not take from a client: a hello again, a state change, a debug print.
      let message: Message =
        switch choices.u8() % 4 {
        case 0: .hello(Hello(clientName: "again"))
        case 1: .stateChange(StateChange(detail: .running))
        case 2: .debugIO(DebugIO(text: "fuzz"))
        default:
          .unknown(
            type: PacketType(rawValue: UInt16(truncatingIfNeeded: choices.u32())), payload: choices.bytes(max: 32))
        }
      client.send(message, packetId: choices.raw32())
    case 13:
      rawFrame()
    case 14:
      if clients.count < 2 { attach() }
    default:
      if clients.count == 2 { current = 1 - current }
    }
  }

  /// A valid GetVersion frame with one byte changed, or cut short, or bytes from the input: the session may
  /// refuse it and end, or wait for the rest of a frame; either way this client sends nothing more.
  mutating func rawFrame() {
    var bytes = Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 7)
    switch choices.u8() % 3 {
    case 0:
      let at = Int(choices.u8()) % bytes.count
      bytes[at] = choices.u8()
    case 1: bytes = Array(bytes.prefix(Int(choices.u8()) % bytes.count))
    default: bytes = choices.bytes(max: 80)
    }
    changedTarget = true
    clients[current].client.link.send(bytes)
    expectClose(seconds: 0.05, finding: nil)
  }
}

/// Seeds: a hello and one request of each kind, a break-in then requests on the halted target, a pipelined
/// batch, two clients, a goodbye, a raw frame.
func seeds() -> [[UInt8]] {
  let hello: [UInt8] = [0x41, 0x40, 0, 0, 8, 0, 0, 1, 2, 3, 4, 0, 0]
  var seeds: [[UInt8]] = []
  for api in 0..<20 { seeds.append(hello + [0, UInt8(api), 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0]) }
  seeds.append(hello + [8, 0, 0, 2, 0, 0, 0, 1, 7, 3, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0])
  seeds.append(hello + [7, 10, 9, 0, 9, 13, 3, 16, 1, 4, 17, 2, 5])
  seeds.append(hello + [14, 0x40, 0, 1, 0, 0, 0, 0, 0, 0, 0, 15, 0, 9, 0])
  seeds.append(hello + [9, 0, 0, 0, 0, 10, 0, 1, 2, 3, 4, 11, 5, 0, 0, 0, 0])
  seeds.append(hello + [13, 0, 20, 0xff])
  return seeds
}

let trace = getenv("KDSF_TRACE") != nil
let fuzzer = SessionUnderFuzz()
FuzzHarness.run(name: "KDSessionFuzz", seeds: seeds, fuzzOne: fuzzer.fuzzOne)
