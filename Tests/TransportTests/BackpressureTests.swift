import Dispatch
import KDTransport
import Testing

@Suite struct BackpressureTests {
  /// A peer that never reads cannot grow the server's memory: queued output never passes the limit, and the
  /// connection is closed with `outputOverflow` once more is sent.
  @Test func peerThatNeverReads_boundedThenClosed() throws {
    let limit = 1 << 20
    let server = try TestServer.withPKI(maxPendingOutputBytes: limit, echo: false)
    defer { server.stop() }
    // The client never calls start(): it never reads from its socket.
    let silent = try TLSClient.connect(
      host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: try TestPKI.get().caPath))
    let connection = try #require(server.connections.take())
    let closed = Mailbox<TransportError?>()
    connection.start(onReceive: { _ in }, onClose: { closed.put($0) })

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
