import Dispatch
import Foundation
import KDTransport
import Testing

@Suite struct BackpressureTests {
  /// A peer that never reads cannot grow the server's memory: queued output never passes the limit, and the
  /// connection is closed with `outputOverflow` once more is sent.
  @Test func peerThatNeverReads_boundedThenClosed() throws {
    let limit = 1 << 20
    let server = try TestServer.withPKI(maxPendingOutputBytes: limit, echo: false)
    defer { server.stop() }
    let (silent, connection, closed) = try server.acceptSilentClient()

    let chunk = [UInt8](repeating: 0x5A, count: 256 * 1024)
    var highest = 0
    var sent = 0
    while closed.count == 0 && sent < 256 {
      connection.send(chunk)
      sent += 1
      highest = max(highest, connection.queue.sync { connection.pendingOutputBytes })
    }
    let closeResult = try #require(closed.take())
    let error = try #require(closeResult)
    #expect(error.code == .outputOverflow)
    #expect(error.reason.contains("is not reading"))
    #expect(highest <= limit)
    #expect(sent < 256, "the connection closed before 64 MiB were offered")
    silent.close(flush: false)
  }

  /// A sender that watches pendingOutputBytes sees it fall again once the peer reads, and all bytes arrive.
  @Test func pendingOutput_drainsWhenPeerReads() throws {
    let server = try TestServer.withPKI(echo: false)
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    let connection = try #require(server.connections.take())
    connection.start(onReceive: { _ in }, onClose: { _ in })
    let total = 4 << 20
    connection.send([UInt8](repeating: 1, count: total))
    #expect(probe.read(total)?.count == total)
    #expect(connection.queue.sync { connection.pendingOutputBytes } == 0)
    probe.connection.close(flush: false)
  }
}

@Suite struct PeerLossTests {
  /// A peer that vanishes while the server is writing (reset, unread data) closes that connection with a
  /// reason; the process survives (SIGPIPE ignored) and the listener serves the next client.
  @Test func peerVanishesWhileServerWrites_closedWithReason() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(echo: false)
    defer { server.stop() }
    // openssl s_client, killed with SIGKILL: no close_notify, unread data, so the kernel resets.
    let doomed = Process()
    doomed.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    doomed.arguments = ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.caPath, "-quiet"]
    let keepOpen = Pipe()
    doomed.standardInput = keepOpen
    doomed.standardOutput = FileHandle.nullDevice
    doomed.standardError = FileHandle.nullDevice
    try doomed.run()
    let connection = try #require(server.connections.take())
    let closed = Mailbox<TransportError?>()
    connection.start(onReceive: { _ in }, onClose: { closed.put($0) })
    connection.send([UInt8](repeating: 7, count: 512 * 1024))
    kill(doomed.processIdentifier, SIGKILL)
    doomed.waitUntilExit()
    var offered = 0
    while closed.count == 0 && offered < 400 {
      connection.send([UInt8](repeating: 7, count: 64 * 1024))
      offered += 1
      usleep(1000)
    }
    let result = try #require(closed.take())
    let error = try #require(result)
    #expect(error.code == .connectionLost || error.code == .system, "\(error)")

    let next = try TLSClient.connect(
      host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: pki.caPath))
    #expect(server.connections.take() != nil)
    next.close(flush: false)
  }
}

@Suite struct CloseFlushTests {
  /// close(flush: true) toward a peer that never reads does not hang: it ends after closeFlushTimeout with a
  /// timeout error naming the bytes left.
  @Test func closeWithFlush_peerNeverReads_endsAfterTimeout() throws {
    let server = try TestServer.withPKI(maxPendingOutputBytes: 64 << 20, echo: false)
    defer { server.stop() }
    let (silent, connection, closed) = try server.acceptSilentClient()
    // 16 MiB: more than socket buffers hold.
    for _ in 0..<64 { connection.send([UInt8](repeating: 3, count: 256 * 1024)) }
    connection.close(flush: true)
    let result = try #require(closed.take())
    let error = try #require(result)
    #expect(error.code == .timeout)
    #expect(error.reason.contains("did not take the last"))
    silent.close(flush: false)
  }
}

extension TestServer {
  /// A client that never calls start() (so it never reads its socket) and the server's side of it, started,
  /// with a mailbox for its close.
  func acceptSilentClient() throws -> (client: TLSConnection, server: TLSConnection, closed: Mailbox<TransportError?>) {
    let client = try TLSClient.connect(
      host: "127.0.0.1", port: port, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    let connection = try #require(connections.take())
    let closed = Mailbox<TransportError?>()
    connection.start(onReceive: { _ in }, onClose: { closed.put($0) })
    return (client, connection, closed)
  }
}
