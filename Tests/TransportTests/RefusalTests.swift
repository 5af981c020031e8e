import Foundation
import KDTransport
import Testing

@Suite struct RefusalTests {
  /// Plaintext and garbage peers get a one-line refusal and are disconnected; a good session goes on.
  @Test func plaintextAndGarbage_refusedWhileGoodSessionWorks() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let good = try Probe.connect(server, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    #expect(good.roundTrip("before") == "before")

    let http = try RawTCP(port: server.port)
    http.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
    #expect(http.readUntilClosed().closed)
    http.close()
    let httpRefusal = try #require(server.refusals.take())
    #expect(httpRefusal.reason.contains("TLS handshake failed"))
    #expect(httpRefusal.reason.contains("http request"))

    let garbage = try RawTCP(port: server.port)
    garbage.send((0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
    #expect(garbage.readUntilClosed().closed)
    garbage.close()
    let garbageRefusal = try #require(server.refusals.take())
    #expect(garbageRefusal.reason.hasPrefix("TLS handshake failed"))
    #expect(garbageRefusal.peer.hasPrefix("127.0.0.1:"))

    #expect(good.roundTrip("after") == "after")
    good.connection.close(flush: false)
  }

  /// A peer that connects and says nothing is refused when the handshake deadline passes.
  @Test func stalledHandshake_refusedAtDeadline() throws {
    let server = try TestServer.withPKI(handshakeTimeout: .milliseconds(300))
    defer { server.stop() }
    let silent = try RawTCP(port: server.port)
    #expect(silent.readUntilClosed().closed)
    silent.close()
    let refusal = try #require(server.refusals.take())
    #expect(refusal.reason == "TLS handshake not completed within 0.3 s")
    #expect(server.listener.pendingConnections == 0)
  }

  /// One source may hold only `perSource` connections that are not yet admitted; one more is closed at once,
  /// and the ones it holds go on. An admitted connection no longer counts.
  @Test func overPerSourceLimit_refused() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(limits: AdmissionLimits(pending: 8, perSource: 1))
    defer { server.stop() }
    let first = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath))
    #expect(first.roundTrip("one") == "one")
    let second = try RawTCP(port: server.port)
    #expect(second.readUntilClosed().closed)
    second.close()
    #expect(
      try #require(server.refusals.take()).reason == "source limit: 1 connections from 127.0.0.1 not yet admitted")
    #expect(first.roundTrip("still one") == "still one")
    let accepted = try #require(server.connections.take())
    accepted.markAdmitted()
    // Leaving the pool hops through two queues; wait (bounded) until the listener has seen it.
    for _ in 0..<400 where server.listener.pendingConnections > 0 { usleep(5_000) }
    #expect(server.listener.pendingConnections == 0)
    let third = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath))
    #expect(third.roundTrip("three") == "three")
    first.connection.close(flush: false)
    third.connection.close(flush: false)
  }

  /// When the pool of connections not yet admitted is full, the oldest is closed to make room: a flood of
  /// idle peers cannot keep a new client from handshaking.
  @Test func fullPendingPool_evictsOldest() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(limits: AdmissionLimits(pending: 2, perSource: 8))
    defer { server.stop() }
    let idle = [try RawTCP(port: server.port), try RawTCP(port: server.port)]
    let client = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath))
    #expect(client.roundTrip("in") == "in")
    #expect(idle[0].readUntilClosed().closed)
    #expect(try #require(server.refusals.take()).reason.hasPrefix("evicted: the pool of 2 connections"))
    for peer in idle { peer.close() }
    client.connection.close(flush: false)
  }

  /// A TLS 1.2-only client (openssl s_client -tls1_2) is refused by a TLS 1.3-only server, and admitted
  /// when TLS 1.2 is explicitly allowed.
  @Test func tls12OnlyClient_refusedUnlessAllowed() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let refused = runTool(
      "/usr/bin/openssl",
      ["s_client", "-tls1_2", "-connect", "127.0.0.1:\(server.port)", "-CAfile", try TestPKI.get().caPath])
    #expect(refused.status != 0)
    #expect(refused.stdout.contains("alert") || refused.stderr.contains("alert"))
    let refusal = try #require(server.refusals.take())
    #expect(refusal.reason.contains("unsupported protocol"))

    let lenient = try TestServer.withPKI(allowTLS12: true)
    defer { lenient.stop() }
    let admitted = runTool(
      "/usr/bin/openssl",
      [
        "s_client", "-tls1_2", "-connect", "127.0.0.1:\(lenient.port)", "-CAfile", try TestPKI.get().caPath,
        "-verify_return_error",
      ])
    #expect(admitted.stdout.contains("Protocol  : TLSv1.2"))
    #expect(try #require(lenient.connections.take()).protocolVersion == "TLSv1.2")
  }
}

@Suite struct ListenerLifecycleTests {
  /// stop() closes the listening socket (new connects fail) while established sessions go on.
  @Test func stop_refusesNewConnectionsKeepsSessions() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI()
    let session = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath))
    #expect(session.roundTrip("before stop") == "before stop")
    server.stop()
    var refused = false
    for _ in 0..<200 where !refused {  // stop() is asynchronous: wait until the port is closed
      do {
        let late = try TLSClient.connect(
          host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: pki.caPath))
        late.close(flush: false)
      } catch {
        refused = error.code == .system && error.errno == ECONNREFUSED
      }
    }
    #expect(refused)
    #expect(session.roundTrip("after stop") == "after stop")
    session.connection.close(flush: false)
  }
}

@Suite struct ListenerAddressTests {
  /// Loopback addresses are told apart from wildcard ones (the daemon requires authentication for the latter).
  @Test func isLoopback_onlyForLoopbackAddresses() throws {
    let context = try TLSServerContext(options: TLSServerOptions(stateDirectory: temporaryDirectory("loopback")))
    for (host, loopback, address) in [
      ("127.0.0.1", true, "127.0.0.1"), ("localhost", true, nil), ("[::1]", true, "[::1]"),
      ("0.0.0.0", false, "0.0.0.0"),
      ("::", false, "[::]"),
    ] {
      let listener = try TLSListener(
        host: host, port: 0, context: context, onConnection: { _ in }, onRefusal: { _, _ in })
      #expect(listener.isLoopback == loopback, "\(host)")
      if let address { #expect(listener.localAddress == "\(address):\(listener.localPort)") }
      listener.stop()
    }
    #expect(throws: TransportError.self) {
      try TLSListener(
        host: "no-such-host.invalid", port: 0, context: context, onConnection: { _ in },
        onRefusal: { _, _ in })
    }
  }
}
