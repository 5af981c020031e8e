import Dispatch
import Foundation
import KDKernel
import KDProtocol
import KDServer
import KDTestSupport
import KDTransport
import Logging
import Testing

/// The server session driven through an in-memory frame link with a test clock: hello, roles, deadlines, the
/// window and back-pressure, against a real kernel. No sockets, no sleeps.
@Suite(.serialized) struct InMemorySessionTests {
  /// A real target host (kernel at pace 0) whose deadlines run on a ``TestClock``.
  final class Harness: Sendable {
    let host: TargetHost
    let clock = TestClock()
    let logs = LogCapture()

    init(_ configure: (inout SessionPolicy) -> Void = { _ in }) throws {
      var policy = SessionPolicy(serverName: "kdserver-test")
      configure(&policy)
      var logger = Logger(label: "in-memory") { [logs] _ in logs }
      logger.logLevel = .info
      host = try TargetHost(
        kernel: KernelConfiguration(scenario: "default", pace: 0), policy: policy, clock: clock, logger: logger)
      host.start()
    }

    func attach(budget: OutputBudget = OutputBudget(perLink: 4 << 20), start: Bool = true) -> RawClient {
      RawClient(link: host.attachInMemory(budget: budget), start: start)
    }

    deinit { host.shutdown() }
  }

  /// The client's end of the link, raw: frames it sends are encoded by hand, what it receives is decoded.
  final class RawClient: @unchecked Sendable {  // safe: `received` is behind its condition
    let link: any FrameLink
    private let condition = NSCondition()
    private var received: [Message] = []
    private var closed = false
    private var nextId: UInt32 = 0x8080_0000

    init(link: any FrameLink, start: Bool) {
      self.link = link
      if start { self.start() }
    }

    func start() {
      link.start { [self] event in
        condition.lock()
        defer {
          condition.broadcast()
          condition.unlock()
        }
        switch event {
        case .frame(let frame):
          if let message = try? Message(frame: frame) { received.append(message) }
        case .closed: closed = true
        case .malformed, .partialFrame: break
        }
      }
    }

    func send(_ message: Message, packetId: UInt32 = 1) { link.send(message.encoded(packetId: packetId)) }

    func hello(controller: Bool = true, token: [UInt8] = []) {
      send(.hello(Hello(clientName: "test", flags: controller ? [.wantController] : [], token: token)))
    }

    func read(_ address: UInt64, count: UInt32) {
      nextId &+= 1
      send(
        .manipulate(ManipulateState(.readVirtualMemory(ReadVirtualMemory(address: address, transferCount: count)))),
        packetId: nextId)
    }

    /// The next message, in order; nil once the link has closed and nothing is left (bounded wait as a safety net).
    func next(within seconds: Double = 20) -> Message? {
      let deadline = Date().addingTimeInterval(seconds)
      condition.lock()
      defer { condition.unlock() }
      while received.isEmpty && !closed {
        if !condition.wait(until: deadline) { return nil }
      }
      return received.isEmpty ? nil : received.removeFirst()
    }

    func helloReply() -> HelloReply? {
      if case .helloReply(let reply) = next() { return reply }
      return nil
    }

    /// Messages up to and including the goodbye, or nil if the link closed without one.
    func untilGoodbye() -> (before: [Message], goodbye: Goodbye)? {
      var before: [Message] = []
      while let message = next() {
        if case .goodbye(let goodbye) = message { return (before, goodbye) }
        before.append(message)
      }
      return nil
    }

    var isClosed: Bool {
      condition.lock()
      defer { condition.unlock() }
      return closed
    }

    func waitClosed() -> Bool {
      condition.lock()
      defer { condition.unlock() }
      let deadline = Date().addingTimeInterval(20)
      while !closed { if !condition.wait(until: deadline) { return false } }
      return true
    }
  }

  /// nt's base (KernelLayout): mapped on every boot.
  let ntBase: UInt32 = 0x804d_7000

  @Test func helloIsAnsweredWithTheNegotiatedValuesAndTheWindow() throws {
    let harness = try Harness { $0.window = 32 }
    let client = harness.attach()
    client.hello()
    let reply = try #require(client.helloReply())
    #expect(reply.status == .success)
    #expect(reply.role == .controller)
    #expect(reply.window == 32)
    #expect(reply.serverName == "kdserver-test")
    #expect(reply.maxPayload == UInt32(Limits.defaultMaxPayload))
    #expect(reply.breakStackFrames == UInt32(BreakEvent.capturedStackFrames))
  }

  @Test func noHelloWithinTheDeadlineGetsAGoodbye() throws {
    let harness = try Harness { $0.helloTimeout = .seconds(10) }
    let client = harness.attach()
    // The session arms its deadline on its queue; the test clock then holds it.
    for _ in 0..<1000 where harness.clock.armed == 0 { usleep(1000) }
    harness.clock.advance(by: .seconds(9))
    #expect(!client.isClosed)
    harness.clock.advance(by: .seconds(1))
    let goodbye = try #require(client.untilGoodbye()?.goodbye)
    #expect(goodbye.status == .timeout)
    #expect(goodbye.reason == "no hello within 10.0 seconds")
    #expect(client.waitClosed())
  }

  @Test func aFrameLeftHalfSentGetsAGoodbyeAtTheFrameDeadline() throws {
    let harness = try Harness { $0.frameTimeout = .seconds(5) }
    let client = harness.attach()
    client.hello()
    _ = try #require(client.helloReply())
    let frame = Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 7)
    client.link.send(Array(frame.prefix(20)))
    for _ in 0..<1000 where harness.clock.armed == 0 { usleep(1000) }
    #expect(harness.clock.armed == 1)
    harness.clock.advance(by: .seconds(5))
    let goodbye = try #require(client.untilGoodbye()?.goodbye)
    #expect(goodbye.status == .timeout)
    #expect(goodbye.reason.hasPrefix("frame not completed within"))
  }

  @Test func aSecondControllerIsRefusedUnlessTakeoverIsAllowed() throws {
    let strict = try Harness()
    let first = strict.attach()
    first.hello()
    #expect(first.helloReply()?.role == .controller)
    let second = strict.attach()
    second.hello()
    let refused = try #require(second.helloReply())
    #expect(refused.status == .deviceBusy)
    #expect(refused.role == HelloReply.Role.none)
    #expect(second.untilGoodbye()?.goodbye.status == .deviceBusy)
    let observer = strict.attach()
    observer.hello(controller: false)
    #expect(observer.helloReply()?.role == .observer)

    let lenient = try Harness { $0.allowTakeover = true }
    let old = lenient.attach()
    old.hello()
    #expect(old.helloReply()?.role == .controller)
    let new = lenient.attach()
    new.hello()
    #expect(new.helloReply()?.role == .controller)
    let displaced = try #require(old.untilGoodbye()?.goodbye)
    #expect(displaced.status == .deviceBusy)
    #expect(displaced.reason.hasPrefix("the controller role was taken over by"))
  }

  @Test func observersBeyondTheLimitAreRefused() throws {
    let harness = try Harness { $0.maxObservers = 1 }
    let one = harness.attach()
    one.hello(controller: false)
    #expect(one.helloReply()?.role == .observer)
    let two = harness.attach()
    two.hello(controller: false)
    #expect(two.helloReply()?.status == .quotaExceeded)
  }

  @Test func aWrongTokenIsRefusedAndItsClientNameCannotForgeALogLine() throws {
    let harness = try Harness { $0.token = AccessToken(bytes: Array("0123456789abcdef0123456789abcdef".utf8)) }
    let client = harness.attach()
    let forged = "x\nnotice audit: session attached as controller \u{1B}[2J"
    client.send(.hello(Hello(clientName: forged, token: Array("wrong-token-wrong-token".utf8))))
    #expect(client.helloReply()?.status == .accessDenied)
    #expect(client.untilGoodbye()?.goodbye.reason == "hello refused: wrong token")
    let line = try #require(harness.logs.waitFor("hello refused"))
    #expect(!line.contains("\n"))
    #expect(!line.contains("\u{1B}"))
    #expect(line.contains(#"client="x\x0Anotice audit: session attached as controller \x1B[2J""#))
    #expect(!harness.logs.lines.contains { $0.hasPrefix("info audit: session attached") })
  }

  /// A client that does not read is held back, not dropped: the server stops taking its requests while its
  /// replies are over the link's budget, and serves the rest once the client reads.
  @Test func aSlowReaderIsSlowedNotDropped() throws {
    let harness = try Harness { $0.window = 64 }
    let client = harness.attach(budget: OutputBudget(perLink: 8 << 10), start: false)
    client.hello()
    for _ in 0..<60 { client.read(UInt64(ntBase), count: 4096) }
    // Nothing is read yet: the server takes the hello and two reads, whose replies pass 8 KiB, then waits;
    // the other 58 requests stay with the client's end, not taken.
    for _ in 0..<4000 where client.link.pendingOutputFrames > 58 { usleep(500) }
    #expect(client.link.pendingOutputFrames == 58)
    client.start()
    #expect(client.helloReply()?.status == .success)
    var replies = 0
    while replies < 60, let message = client.next() {
      if case .stateChange = message { continue }  // the target started running
      if case .debugIO = message { continue }  // a driver printed
      guard case .manipulate(let reply) = message else {
        Issue.record("unexpected \(message)")
        break
      }
      #expect(reply.status == .success)
      replies += 1
    }
    #expect(replies == 60)
    #expect(!client.isClosed)
  }

  /// A client past the advertised window (it sends without reading, far beyond it) gets GOODBYE with the reason.
  @Test func aClientPastTheWindowGetsAGoodbye() throws {
    let harness = try Harness { $0.window = 4 }
    let client = harness.attach(start: false)
    client.hello()
    for _ in 0..<40 { client.read(UInt64(ntBase), count: 4) }
    // The hello and 8 requests are taken before the 8th finds twice the window of frames queued.
    for _ in 0..<4000 where client.link.pendingOutputFrames > 32 { usleep(500) }
    client.start()
    let (before, goodbye) = try #require(client.untilGoodbye())
    #expect(goodbye.status == .quotaExceeded)
    #expect(goodbye.reason.hasPrefix("over the window of 4 requests in flight"))
    // The hello reply and the replies that fit twice the window came first (the running event, if the target
    // started before the hello, takes a reply's place).
    let replies = before.filter { if case .manipulate = $0 { true } else { false } }
    #expect(before.count == 8)
    #expect(replies.count >= 5)
    #expect(client.waitClosed())
  }

  /// The next message that is not an event (replies, REFUSED, GOODBYE); events before it are returned too.
  func nextAnswer(_ client: RawClient) -> (events: [StateChange], answer: Message?) {
    var events: [StateChange] = []
    while let message = client.next() {
      switch message {
      case .stateChange(let change): events.append(change)
      case .debugIO: continue
      default: return (events, message)
      }
    }
    return (events, nil)
  }

  /// docs/PROTOCOL.md 7.1: a controller's break-in halts a running target (a state change, no reply); one sent
  /// while the target is already halted gets REFUSED STATUS_INVALID_DEVICE_STATE with its PacketId; an
  /// observer's gets REFUSED STATUS_PRIVILEGE_NOT_HELD, with its PacketId too.
  @Test func breakInIsAnsweredInEveryState() throws {
    let harness = try Harness()
    let controller = harness.attach()
    controller.hello()
    #expect(controller.helloReply()?.targetState == .running)
    controller.send(.breakIn, packetId: 0)
    var halted: StateChange?
    while halted == nil, let message = controller.next() {
      if case .stateChange(let change) = message, case .exception(_, let reason, _) = change.detail {
        #expect(reason == .breakIn)
        halted = change
      }
    }
    #expect(halted != nil)
    controller.send(.breakIn, packetId: 9)
    let (events, answer) = nextAnswer(controller)
    #expect(events.isEmpty)
    #expect(answer == .refused(Refused(status: .invalidDeviceState, refusedType: .unused)))

    let observer = harness.attach()
    observer.hello(controller: false)
    #expect(observer.helloReply()?.targetState == .halted)
    observer.send(.breakIn, packetId: 7)
    #expect(nextAnswer(observer).answer == .refused(Refused(status: .privilegeNotHeld, refusedType: .unused)))
  }

  /// docs/PROTOCOL.md 8.5: every listing answers STATUS_NO_MORE_ENTRIES past its end; MaxEntries 0 returns
  /// TotalCount and no entries.
  @Test func listingsPastTheEndAreNoMoreEntries() throws {
    let harness = try Harness()
    let client = harness.attach()
    client.hello()
    _ = try #require(client.helloReply())
    func ask(_ body: Manipulate) -> ManipulateState? {
      client.send(.manipulate(ManipulateState(body)), packetId: 3)
      if case .manipulate(let reply) = nextAnswer(client).answer { return reply }
      return nil
    }
    let modules = try #require(ask(.listModules(ListModules(startIndex: 0, maxEntries: 0))))
    guard case .listModules(let count) = modules.body else { throw TestFailure("wrong reply \(modules)") }
    #expect(modules.status == .success)
    #expect(count.modules.isEmpty && count.totalCount > 1)
    let symbolsAt = UInt64(ntBase)
    let symbols = try #require(ask(.getSymbols(GetSymbols(moduleBase: symbolsAt, startIndex: 0, maxEntries: 0))))
    guard case .getSymbols(let symbolCount) = symbols.body else { throw TestFailure("wrong reply \(symbols)") }
    #expect(symbols.status == .success)
    #expect(symbolCount.symbols.isEmpty && symbolCount.totalCount > 1)
    // At pace 0 the boot may still be starting the drivers' threads: count once all 13 of the default scenario
    // exist (the idle thread, five DriverEntry threads, which end but stay listed, and seven workers).
    var threads = try #require(ask(.listThreads(ListThreads(startIndex: 0, maxEntries: 0))))
    for _ in 0..<2000 {
      guard case .listThreads(let page) = threads.body, page.totalCount < 13 else { break }
      usleep(1000)
      threads = try #require(ask(.listThreads(ListThreads(startIndex: 0, maxEntries: 0))))
    }
    guard case .listThreads(let threadCount) = threads.body else { throw TestFailure("wrong reply \(threads)") }
    #expect(threads.status == .success)
    #expect(threadCount.threads.isEmpty && threadCount.totalCount > 1)

    for past in [count.totalCount, count.totalCount + 1, .max] {
      #expect(ask(.listModules(ListModules(startIndex: past, maxEntries: 10)))?.status == .noMoreEntries)
    }
    for past in [symbolCount.totalCount, .max] {
      let reply = ask(.getSymbols(GetSymbols(moduleBase: symbolsAt, startIndex: past, maxEntries: 10)))
      #expect(reply?.status == .noMoreEntries)
      if case .getSymbols(let page)? = reply?.body {
        #expect(page.symbols.isEmpty && page.totalCount == symbolCount.totalCount)
      }
    }
    for past in [threadCount.totalCount, .max] {
      #expect(ask(.listThreads(ListThreads(startIndex: past, maxEntries: 10)))?.status == .noMoreEntries)
    }
    // The last page itself is a success.
    let last = ask(
      .getSymbols(GetSymbols(moduleBase: symbolsAt, startIndex: symbolCount.totalCount - 1, maxEntries: 10)))
    #expect(last?.status == .success)
  }

  /// docs/PROTOCOL.md 16, frame 2: the HELLO_REPLY a fresh server sends to the documented HELLO, byte for byte.
  @Test func theDocumentedHelloReplyIsWhatTheServerSends() throws {
    let harness = try Harness { $0.serverName = TargetHost.serverName }
    let client = harness.attach(start: false)
    var frames: [[UInt8]] = []
    let got = DispatchSemaphore(value: 0)
    let lock = NSLock()
    client.link.start { event in
      guard case .frame(let frame) = event else { return }
      lock.lock()
      frames.append(FrameEncoder.encode(frame))  // as sent: the decoder checked its checksum and trailer
      lock.unlock()
      got.signal()
    }
    client.send(.hello(Hello(clientName: "kd", flags: [.wantController])), packetId: 1)
    var reply: [UInt8]?
    while reply == nil, got.wait(timeout: .now() + 20) == .success {
      lock.lock()
      reply = frames.first { $0[4] == 0x21 }
      lock.unlock()
    }
    let expected: [UInt8] = [
      0x30, 0x30, 0x30, 0x30, 0x21, 0x00, 0x3f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x6b, 0x08, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00,
      0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x17, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6b, 0x64, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72,
      0x20, 0x30, 0x2e, 0x31, 0x20, 0x28, 0x73, 0x77, 0x69, 0x66, 0x74, 0x2d, 0x6b, 0x64, 0x29, 0xaa,
    ]
    #expect(reply == expected)
  }

  /// docs/PROTOCOL.md 8.5 Reboot: the reply, then one "running"; the fresh boot has none of the old breakpoints.
  /// (The breakpoint is on nt's image header, which never runs.)
  @Test func rebootAnswersThenRunsAFreshBootWithoutTheOldBreakpoints() throws {
    let harness = try Harness()
    let client = harness.attach()
    client.hello()
    let hello = try #require(client.helloReply())
    // Halt first: the boot's own "running" (which can reach a session admitted just after the start) then comes
    // before this halt, and every event counted below is the reboot's.
    if hello.targetState == .running {
      client.send(.breakIn, packetId: 0)
      var halted = false
      while !halted, let message = client.next() {
        if case .stateChange(let change) = message, case .exception = change.detail { halted = true }
      }
      try #require(halted)
    }
    client.send(
      .manipulate(ManipulateState(.writeBreakPoint(WriteBreakPoint(address: UInt64(ntBase))))), packetId: 2)
    guard case .manipulate(let set)? = nextAnswer(client).answer, case .writeBreakPoint(let bp) = set.body else {
      throw TestFailure("no breakpoint reply")
    }
    #expect(set.status == .success)
    client.send(.manipulate(ManipulateState(.reboot(Reboot()))), packetId: 3)
    let (_, rebooted) = nextAnswer(client)
    guard case .manipulate(let reply)? = rebooted else { throw TestFailure("no reboot reply") }
    #expect(reply.status == .success)
    client.send(.manipulate(ManipulateState(.restoreBreakPoint(RestoreBreakPoint(handle: bp.handle)))), packetId: 4)
    var (events, restore) = nextAnswer(client)
    guard case .manipulate(let restored)? = restore else { throw TestFailure("no restore reply") }
    #expect(restored.status == .invalidParameter)
    // Events are not ordered against later replies: wait for the running, then one more round trip.
    while !events.contains(where: { $0.newState == .running }), let message = client.next() {
      if case .stateChange(let change) = message { events.append(change) }
    }
    client.send(.manipulate(ManipulateState(.getVersion(GetVersion()))), packetId: 5)
    events += nextAnswer(client).events
    // One "running" per reboot (the kernel reports the reboot and the fresh boot's start; the client hears one).
    #expect(events.map(\.newState) == [.running])
  }
}
