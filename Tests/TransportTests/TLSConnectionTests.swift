import Foundation
import KDTransport
import Testing

@Suite struct TLSConnectionTests {
  /// Handshake over TLS 1.3, then bytes both ways: the client's arrive at the server, which echoes them.
  @Test func handshake_echoesBothWays() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    #expect(probe.connection.protocolVersion == "TLSv1.3")
    #expect(probe.connection.peer == "127.0.0.1:\(server.port)")
    #expect(probe.connection.peerCertificateSubject == "CN=localhost")
    #expect(probe.roundTrip("ping") == "ping")
    let serverSide = try #require(server.connections.take())
    #expect(serverSide.peer.hasPrefix("127.0.0.1:"))
    serverSide.send(Array("pushed by the server".utf8))
    #expect(probe.read(20).map { String(decoding: $0, as: UTF8.self) } == "pushed by the server")
    let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    probe.connection.send(big)
    #expect(probe.read(big.count) == big)
    probe.connection.close(flush: true)
    #expect(probe.closed.take().map { $0 == nil } == true)
    #expect(server.closes.take().map { $0 == nil } == true)
  }

  /// `sendNow` (written on the caller's thread) and `send` (queued) keep one order on the wire, also when a
  /// callback on the connection's queue sends at the same time.
  @Test func sendNowAndSendKeepOneOrder() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    defer { probe.connection.close(flush: false) }
    var expected: [UInt8] = []
    for i in 0..<200 {
      let piece = [UInt8](repeating: UInt8(i), count: 1 + i % 7)
      expected += piece
      if i % 2 == 0 { probe.connection.sendNow(piece) } else { probe.connection.send(piece) }
    }
    #expect(probe.read(expected.count) == expected)
  }

  /// `[::1]` listen and connect; the peer is written `[::1]:port`.
  @Test func ipv6Loopback_connects() throws {
    let pki = try TestPKI.get()
    let server = try TestServer(
      options: TLSServerOptions(
        certificatePath: pki.serverCertificate, keyPath: pki.serverKey, stateDirectory: temporaryDirectory("state")),
      host: "::1")
    defer { server.stop() }
    #expect(server.listener.localAddress == "[::1]:\(server.port)")
    let probe = try Probe.connect(server, host: "[::1]", options: TLSClientOptions(caPath: pki.caPath))
    #expect(probe.connection.peer == "[::1]:\(server.port)")
    #expect(probe.roundTrip("six") == "six")
    #expect(try #require(server.connections.take()).peer.hasPrefix("[::1]:"))
    probe.connection.close(flush: false)
  }

  /// CA-file verification checks the host name: a name the certificate does not carry is rejected.
  @Test func caVerification_rejectsWrongHostName() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let error = #expect(throws: TransportError.self) {
      try TLSClient.connect(
        host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: pki.caPath, serverName: "wrong.example")
      )
    }
    #expect(error?.code == .verification)
    #expect(error?.reason.contains("hostname mismatch") == true)
    let byName = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath, serverName: "localhost"))
    #expect(byName.roundTrip("ok") == "ok")
    byName.connection.close(flush: false)
  }

  /// A CA that did not issue the server certificate fails verification.
  @Test func caVerification_rejectsOtherCA() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let error = #expect(throws: TransportError.self) {
      try TLSClient.connect(host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: pki.otherCAPath))
    }
    #expect(error?.code == .verification)
    #expect(error?.reason.contains("certificate verify failed") == true)
  }
}

@Suite struct KeepAliveTests {
  /// Both ends of an idle session arm TCP keepalive, so a vanished peer is noticed: /proc/net/tcp shows the
  /// keepalive timer (timer kind 2) on the server's and the client's sockets of this connection.
  @Test func bothEndsArmKeepalive() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    defer { probe.connection.close(flush: false) }
    #expect(probe.roundTrip("idle") == "idle")
    let port = String(format: "%04X", Int(server.port))
    // A timer kind of 1 (retransmit) shows while sent bytes are unacknowledged; poll until the
    // connection is quiet (a hang guard, not a timing assertion).
    var rows: [[Substring]] = []
    for _ in 0..<100 {
      rows = try connectionRows(port: port)
      if rows.count == 2, rows.allSatisfy({ $0[5].hasPrefix("02:") }) { break }
      usleep(50_000)
    }
    #expect(rows.count == 2, "both ends of the connection: \(rows)")
    for fields in rows {
      #expect(fields[5].hasPrefix("02:"), "keepalive timer armed: \(fields.joined(separator: " "))")
    }
  }
}

/// ESTABLISHED rows of /proc/net/tcp with `port` (4 hex digits) at either end, split into fields.
private func connectionRows(port: String) throws -> [[Substring]] {
  var rows: [[Substring]] = []
  // Read to EOF (procfs files report size 0; a size-based read can stop at the first page).
  guard let handle = FileHandle(forReadingAtPath: "/proc/net/tcp") else {
    throw TestFailure("cannot open /proc/net/tcp")
  }
  defer { try? handle.close() }
  let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
  for line in text.split(separator: "\n").dropFirst() {
    let fields: [Substring] = line.split(separator: " ")
    guard fields.count > 5, fields[3] == "01" else { continue }
    let local: Substring = fields[1]
    let remote: Substring = fields[2]
    if local.hasSuffix(":" + port) || remote.hasSuffix(":" + port) { rows.append(fields) }
  }
  return rows
}
