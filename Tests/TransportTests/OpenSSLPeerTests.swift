import Foundation
import KDTransport
import Testing

@Suite struct OpenSSLPeerTests {
  /// `openssl s_client` verifies our server by CA and host, sends a line, and gets our reply; then the server
  /// closes with close_notify after flushing, which ends s_client.
  @Test func sClient_talksToServer() throws {
    let pki = try TestPKI.get()
    let context = try TLSServerContext(
      options: TLSServerOptions(
        certificatePath: pki.serverCertificate, keyPath: pki.serverKey, stateDirectory: temporaryDirectory("state"),
        clientCAPath: pki.caPath))
    let subjects = Mailbox<String>()
    let listener = try TLSListener(
      host: "127.0.0.1", port: 0, context: context,
      onConnection: { connection in
        subjects.put(connection.peerCertificateSubject ?? "none")
        var line: [UInt8] = []
        connection.start(
          onReceive: { bytes in
            line += bytes
            guard line.contains(UInt8(ascii: "\n")) else { return }
            connection.send(Array("HELLO FROM KDSERVER: ".utf8) + line)
            connection.close(flush: true)
          }, onClose: { _ in })
      }, onRefusal: { _, _ in })
    listener.start()
    defer { listener.stop() }
    let result = runTool(
      "/usr/bin/openssl",
      [
        "s_client", "-connect", "127.0.0.1:\(listener.localPort)", "-CAfile", pki.caPath, "-verify_return_error",
        "-verify_hostname", "localhost", "-cert", pki.aliceCertificate, "-key", pki.aliceKey, "-quiet",
      ],
      input: Data("hi there\n".utf8))
    #expect(result.stdout.contains("HELLO FROM KDSERVER: hi there"), "stderr: \(result.stderr)")
    #expect(subjects.take() == "CN=alice")
  }

  /// Our client against `openssl s_server` (TLS 1.3, pinned fingerprint): bytes go both ways.
  @Test func client_talksToSServer() throws {
    let pki = try TestPKI.get()
    let port = try freeLoopbackPort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = [
      "s_server", "-accept", "127.0.0.1:\(port)", "-cert", pki.serverCertificate, "-key", pki.serverKey, "-tls1_3",
      "-rev", "-naccept", "1", "-quiet",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { process.terminate() }
    let fingerprint = try TLSServerContext(
      options: TLSServerOptions(
        certificatePath: pki.serverCertificate, keyPath: pki.serverKey, stateDirectory: temporaryDirectory("s"))
    ).fingerprint
    var connection: TLSConnection?
    for _ in 0..<100 where connection == nil {  // s_server needs a moment to listen
      connection = try? TLSClient.connect(
        host: "127.0.0.1", port: port, options: TLSClientOptions(fingerprint: fingerprint))
      if connection == nil { usleep(50_000) }
    }
    let probe = Probe(try #require(connection))
    probe.connection.send(Array("abc\n".utf8))  // -rev answers each line reversed
    let reply = try #require(probe.read(4))
    #expect(String(decoding: reply, as: UTF8.self).hasPrefix("cba"))
    probe.connection.close(flush: false)
  }
}
