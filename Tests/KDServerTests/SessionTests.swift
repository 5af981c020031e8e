import Foundation
import KDClient
import KDProtocol
import KDServer
import KDTestSupport
import KDTransport
import Testing

/// Real kdserver daemons (in process) and real TLS clients on loopback.
@Suite(.serialized) struct SessionTests {
  func symbol(_ name: String, in connection: RemoteConnection) throws -> UInt32 {
    let version = try connection.request(.getVersion(GetVersion()))
    guard case .getVersion(let v) = version.body else { throw TestFailure("no version") }
    let reply = try connection.request(.getSymbols(GetSymbols(moduleBase: v.kernBase, maxEntries: 4096)))
    guard case .getSymbols(let page) = reply.body, let s = page.symbols.first(where: { $0.name == name }) else {
      throw TestFailure("nt!\(name) not in the symbol table")
    }
    return s.address
  }

  @Test func helloGrantsControllerAndVersionDescribesAnX86Kernel() throws {
    let server = try TestServer()
    defer { server.stop() }
    let client = try server.connect()
    #expect(client.hello.status == .success)
    #expect(client.hello.role == .controller)
    #expect(client.hello.targetState == .running)
    #expect(client.hello.maxPayload == UInt32(Limits.hardMaxPayload))
    let reply = try client.request(.getVersion(GetVersion()))
    #expect(reply.status == .success)
    guard case .getVersion(let v) = reply.body else { throw TestFailure("wrong reply") }
    #expect(v.machineType == 0x14C)
    #expect(v.kernBase >= 0x8000_0000)
    #expect(v.psLoadedModuleList > v.kernBase)
    #expect(server.logs.waitFor("audit: session attached as controller") != nil)
  }

  @Test func readsPoolHitTagFromKernelMemoryWhileRunning() throws {
    let server = try TestServer()
    defer { server.stop() }
    let client = try server.connect()
    let address = try symbol("PoolHitTag", in: client)
    let reply = try client.request(.readVirtualMemory(ReadVirtualMemory(address: UInt64(address), transferCount: 4)))
    #expect(reply.status == .success)
    #expect(reply.readData == [0x0f, 0xff, 0xff, 0xff])  // initial 0xffffff0f
  }

  @Test func unmappedReadIsAnAccessViolationWithNoData() throws {
    let server = try TestServer()
    defer { server.stop() }
    let client = try server.connect()
    let reply = try client.request(.readVirtualMemory(ReadVirtualMemory(address: 0x10, transferCount: 16)))
    #expect(reply.status == .accessViolation)
    #expect(reply.readData == [])
  }

  @Test func controllerWritesAndObserverIsRefused() throws {
    let server = try TestServer()
    defer { server.stop() }
    let controller = try server.connect()
    let observer = try server.connect(controller: false)
    #expect(observer.hello.role == .observer)
    let address = UInt64(try symbol("PoolHitTag", in: controller))
    let write = try controller.request(
      .writeVirtualMemory(WriteVirtualMemory(address: address, data: [0x41, 0x62, 0x63, 0x20])))
    #expect(write.status == .success)
    let denied = try observer.request(.writeVirtualMemory(WriteVirtualMemory(address: address, data: [0, 0, 0, 0])))
    #expect(denied.status == .privilegeNotHeld)
    let read = try observer.request(.readVirtualMemory(ReadVirtualMemory(address: address, transferCount: 4)))
    #expect(read.readData == [0x41, 0x62, 0x63, 0x20])
    #expect(server.logs.waitFor("audit: DbgKdWriteVirtualMemoryApi") != nil)
  }

  @Test func secondControllerIsRefusedUnlessTakeoverIsAllowed() throws {
    let server = try TestServer()
    defer { server.stop() }
    let first = try server.connect()
    #expect(first.isController)
    #expect(throws: RemoteError.self) { try server.connect() }
    do {
      _ = try server.connect()
    } catch {
      guard case .refused(let status, let reason) = error else { throw TestFailure("wrong error \(error)") }
      #expect(status == .deviceBusy)
      #expect(reason.contains("controller role is held"))
    }
    // The first controller is untouched.
    #expect(try first.request(.getVersion(GetVersion())).status == .success)
  }

  @Test func takeoverDisconnectsThePreviousController() throws {
    let server = try TestServer { $0.allowTakeover = true }
    defer { server.stop() }
    let first = try server.connect()
    let second = try server.connect()
    #expect(second.isController)
    #expect(second.hello.flags.contains(.takeoverAllowed))
    for _ in 0..<200 where first.closedReason == nil { usleep(10_000) }
    #expect(first.closedReason?.contains("taken over") == true)
  }

  @Test func tokenIsRequiredAndCompared() throws {
    let directory = makeTemporaryDirectory("token")
    writeFile(directory + "/token", "00112233445566778899aabbccddeeff\n")
    let server = try TestServer { $0.tokenPath = directory + "/token" }
    defer { server.stop() }
    for bad: [UInt8] in [[], Array("00112233445566778899aabbccddeefe".utf8), Array("short".utf8)] {
      do {
        _ = try server.connect(token: bad)
        Issue.record("token \(bad) was accepted")
      } catch {
        guard case .refused(let status, _) = error else { throw TestFailure("wrong error \(error)") }
        #expect(status == .accessDenied)
      }
    }
    let good = try server.connect(token: Array("00112233445566778899aabbccddeeff".utf8))
    #expect(good.hello.flags.contains(.tokenRequired))
    #expect(good.isController)
    #expect(server.logs.waitFor("wrong token") != nil)
  }

  @Test func shortTokenFileIsRefusedAtStart() {
    let directory = makeTemporaryDirectory("token")
    writeFile(directory + "/token", "abc123")
    #expect(throws: ServerError.self) { try TestServer { $0.tokenPath = directory + "/token" } }
  }

  /// Decided on the address bound, not on the --listen text: a wildcard, and a name that resolves to one,
  /// need authentication; a loopback name does not.
  @Test func nonLoopbackWithoutAuthenticationIsRefusedAtStart() throws {
    for host in ["0.0.0.0", "::"] {
      let error = #expect(throws: ServerError.self) { try TestServer { $0.host = host } }
      #expect("\(error.map { "\($0)" } ?? "")".contains("without client authentication"), "\(host)")
    }
    let directory = makeTemporaryDirectory("token")
    writeFile(directory + "/token", String(repeating: "ab", count: 16))
    let authenticated = try TestServer {
      $0.host = "0.0.0.0"
      $0.tokenPath = directory + "/token"
    }
    #expect(authenticated.logs.lines.contains { $0.contains("listening on 0.0.0.0:") && $0.contains("auth=token") })
    authenticated.stop()
    let loopbackName = try TestServer { $0.host = "localhost" }
    #expect(loopbackName.logs.lines.contains { $0.contains("bound=loopback") && $0.contains("auth=none") })
    loopbackName.stop()
  }

  @Test func unknownApiAndPacketTypeAreRefusedAndTheSessionGoesOn() throws {
    let server = try TestServer()
    defer { server.stop() }
    let peer = try RawPeer(port: server.port, fingerprint: server.daemon.fingerprint)
    peer.send(Message.hello(Hello(clientName: "raw")).encoded(packetId: 1))
    peer.send(
      Message.manipulate(
        ManipulateState(.unknown(api: ApiNumber(rawValue: 0x31AA), union: Array(repeating: 0, count: 40), data: []))
      )
      .encoded(packetId: 2))
    peer.send(Message.unknown(type: PacketType(rawValue: 0x99), payload: [1, 2, 3]).encoded(packetId: 3))
    peer.send(Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 4))
    let messages = peer.messages(atLeast: 4)
    #expect(messages.count >= 4)
    guard messages.count >= 4 else { return }
    guard case .manipulate(let notImplemented) = messages[1] else { throw TestFailure("expected a manipulate reply") }
    #expect(notImplemented.status == .notImplemented)
    #expect(messages[2] == .refused(Refused(status: .notImplemented, refusedType: PacketType(rawValue: 0x99))))
    guard case .manipulate(let version) = messages[3] else { throw TestFailure("expected the version") }
    #expect(version.status == .success)
    #expect(!peer.isClosed)
  }

  @Test func malformedFrameGetsAGoodbyeAndOtherSessionsGoOn() throws {
    let server = try TestServer()
    defer { server.stop() }
    let good = try server.connect()
    let peer = try RawPeer(port: server.port, fingerprint: server.daemon.fingerprint)
    peer.send(Message.hello(Hello(clientName: "raw", flags: [])).encoded(packetId: 1))
    var bad = Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 2)
    bad[12] ^= 0xff  // checksum
    peer.send(bad)
    let messages = peer.messages(atLeast: 2)
    guard messages.count == 2, case .goodbye(let goodbye) = messages[1] else {
      throw TestFailure("expected hello reply then goodbye, got \(messages)")
    }
    #expect(goodbye.status == .protocolError)
    #expect(goodbye.reason.contains("checksum mismatch at offset 12"))
    #expect(peer.waitClosed())
    #expect(try good.request(.getVersion(GetVersion())).status == .success)
    #expect(server.logs.waitFor("reason=\"malformed frame") != nil)
  }

  @Test func oversizedFrameIsRefusedBeforeItsPayloadArrives() throws {
    let server = try TestServer()
    defer { server.stop() }
    let peer = try RawPeer(port: server.port, fingerprint: server.daemon.fingerprint)
    peer.send(Message.hello(Hello(clientName: "raw", flags: [], maxPayload: 4096)).encoded(packetId: 1))
    // A header declaring 8000 bytes, above the negotiated 4096; no payload follows.
    peer.send([0x30, 0x30, 0x30, 0x30, 2, 0, 0x40, 0x1f, 2, 0, 0, 0, 0, 0, 0, 0])
    let messages = peer.messages(atLeast: 2)
    guard messages.count == 2, case .goodbye(let goodbye) = messages[1] else {
      throw TestFailure("expected a goodbye, got \(messages)")
    }
    #expect(goodbye.reason.contains("above the limit of 4096"))
    #expect(peer.waitClosed())
  }

  @Test func requestBeforeHelloIsRefused() throws {
    let server = try TestServer()
    defer { server.stop() }
    let peer = try RawPeer(port: server.port, fingerprint: server.daemon.fingerprint)
    peer.send(Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 1))
    let messages = peer.messages(atLeast: 1)
    guard case .goodbye(let goodbye) = messages.first else { throw TestFailure("expected a goodbye, got \(messages)") }
    #expect(goodbye.reason.contains("expected a hello"))
  }

  @Test func plaintextAndGarbageAreRefusedWhileAGoodSessionWorks() throws {
    let server = try TestServer()
    defer { server.stop() }
    let good = try server.connect()
    for payload in ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\u{1}\u{2}garbage garbage garbage\n"] {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = server.port.bigEndian
      address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      #expect(connected == 0)
      _ = payload.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
      var buffer = [UInt8](repeating: 0, count: 256)
      var total = 0
      while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        total += n
      }
      close(fd)
      #expect(total < 256, "the server must not talk at length to a plaintext peer")
      #expect(try good.request(.getVersion(GetVersion())).status == .success)
    }
    #expect(server.logs.waitFor("refused connection") != nil)
  }

  @Test func breakInDeliversTheBreakWithRegistersAndStackThenContinueRuns() throws {
    let server = try TestServer()
    defer { server.stop() }
    let controller = try server.connect()
    let observer = try server.connect(controller: false)
    controller.sendBreakIn()
    let event = try #require(controller.nextEvent(timeout: .seconds(20)))
    guard case .exception(let record, let reason, _) = event.detail else { throw TestFailure("not a break: \(event)") }
    #expect(record.code == 0x8000_0003)
    #expect(reason == .breakIn)
    #expect(event.context.eip == UInt32(event.programCounter))
    #expect(!event.stack.isEmpty)
    let seen = try #require(observer.nextEvent(timeout: .seconds(20)))
    #expect(seen == event)
    let context = try controller.request(.getContext(GetContext()))
    #expect(context.status == .success)
    let go = try controller.request(.continue2(Continue2(singleStep: false)))
    #expect(go.status == .success)
    let running = try #require(controller.nextEvent(timeout: .seconds(20)))
    #expect(running.detail == .running)
    let runningContext = try controller.request(.getContext(GetContext()))
    #expect(runningContext.status == .invalidDeviceState)
  }

  @Test func haltedTargetStaysHaltedAcrossADisconnectAndTheNextClientIsTold() throws {
    let server = try TestServer()
    defer { server.stop() }
    var first: RemoteConnection? = try server.connect()
    first!.sendBreakIn()
    let event = try #require(first!.nextEvent(timeout: .seconds(20)))
    let address = UInt64(try symbol("PoolHitTag", in: first!))
    _ = try first!.request(.writeVirtualMemory(WriteVirtualMemory(address: address, data: [0x41, 0x62, 0x63, 0x20])))
    first!.drop()
    first = nil
    var second: RemoteConnection?
    for _ in 0..<100 {
      second = try? server.connect()
      if second != nil { break }
      usleep(20_000)
    }
    let reattached = try #require(second)
    #expect(reattached.hello.targetState == .halted)
    #expect(reattached.hello.breakEvent?.programCounter == event.programCounter)
    let read = try reattached.request(.readVirtualMemory(ReadVirtualMemory(address: address, transferCount: 4)))
    #expect(read.readData == [0x41, 0x62, 0x63, 0x20])
  }

  @Test func resumeAfterOptionResumesAnAbandonedHaltedTarget() throws {
    let server = try TestServer { $0.resumeAfter = .milliseconds(200) }
    defer { server.stop() }
    let first = try server.connect()
    first.sendBreakIn()
    _ = try #require(first.nextEvent(timeout: .seconds(20)))
    first.detach()
    #expect(server.logs.waitFor("resuming the target") != nil)
    let second = try server.connect(controller: false)
    #expect(second.hello.targetState == .running)
  }
}

/// The client's window over real TLS: a bulk read that needs many more requests than the window allows in flight
/// completes (the thread that waits for a place in the window reads the replies that free one).
@Suite struct WindowTests {
  @Test func bulkReadFarLargerThanTheWindowCompletes() throws {
    let server = try TestServer { $0.window = 4 }
    defer { server.stop() }
    var options = RemoteConnection.Options(tls: server.pinned)
    options.maxPayload = 1024
    options.connectTimeout = .seconds(20)
    options.requestTimeout = .seconds(20)
    let connection = try RemoteConnection(host: "127.0.0.1", port: server.port, options: options)
    #expect(connection.hello.window == 4)
    let target = RemoteTarget(connection: connection)
    // nt's image: 16 KiB at its base, read in requests of under 1 KiB: about 17 of them, 4 in flight at a time.
    let bytes = try target.readVirtual(0x804d_7000, count: 16 << 10)
    #expect(bytes.count == 16 << 10)
    #expect(bytes.prefix(2) == [0x4D, 0x5A])  // "MZ"
    #expect(connection.closedReason == nil)
  }
}
