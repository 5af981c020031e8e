import Foundation
import KDTransport
import Testing

@Suite struct MutualTLSTests {
  /// A client certificate from the configured CA is admitted and its subject is reported.
  @Test func goodClientCertificate_admitted() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(clientCA: true)
    defer { server.stop() }
    let probe = try Probe.connect(
      server,
      options: TLSClientOptions(caPath: pki.caPath, certificatePath: pki.aliceCertificate, keyPath: pki.aliceKey))
    #expect(probe.roundTrip("alice") == "alice")
    #expect(try #require(server.connections.take()).peerCertificateSubject == "CN=alice")
    #expect(server.refusals.count == 0)
    probe.connection.close(flush: false)
  }

  /// No client certificate: the server refuses with a reason; the client learns it on its first read.
  @Test func missingClientCertificate_refused() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(clientCA: true)
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(caPath: pki.caPath))
    let refusal = try #require(server.refusals.take())
    #expect(refusal.reason.contains("peer did not return a certificate"))
    #expect(refusal.peer.hasPrefix("127.0.0.1:"))
    let closeError = try #require(probe.closed.take())
    let error = try #require(closeError)
    #expect(error.reason.contains("peer sent TLS alert \"tlsv13 alert certificate required\""))
  }

  /// A client certificate from another CA is refused with a verification reason.
  @Test func clientCertificateFromOtherCA_refused() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(clientCA: true)
    defer { server.stop() }
    let probe = try Probe.connect(
      server,
      options: TLSClientOptions(caPath: pki.caPath, certificatePath: pki.malloryCertificate, keyPath: pki.malloryKey))
    let refusal = try #require(server.refusals.take())
    #expect(refusal.reason.contains("certificate verify failed"))
    let closeError = try #require(probe.closed.take())
    #expect(closeError?.reason.contains("peer sent TLS alert") == true)
    #expect(server.connections.count == 0)
  }
}

@Suite struct SessionResumptionTests {
  /// A TLS 1.3 client that saved its session (`openssl s_client -sess_out`) resumes it on a mutual-TLS server
  /// (`-sess_in`): the server has a session id context, so OpenSSL does not refuse with alert 80.
  @Test func mutualTLSSessionResumes() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI(clientCA: true)
    defer { server.stop() }
    let session = temporaryDirectory("resume") + "/session.pem"
    func sClient(_ sessionFlag: String) -> (status: Int32, stdout: String, stderr: String) {
      // s_client quits at its input's end; the pause lets the server's session ticket arrive first.
      runTool(
        "/bin/sh",
        [
          "-c",
          "sleep 0.5 | /usr/bin/openssl s_client -connect 127.0.0.1:\(server.port) -CAfile '\(pki.caPath)' "
            + "-cert '\(pki.aliceCertificate)' -key '\(pki.aliceKey)' \(sessionFlag) '\(session)' 2>&1",
        ])
    }
    let first = sClient("-sess_out")
    #expect(first.stdout.contains("New, TLSv1.3"), "\(first.stdout)")
    #expect(FileManager.default.fileExists(atPath: session))
    let second = sClient("-sess_in")
    #expect(second.stdout.contains("Reused, TLSv1.3"), "\(second.stdout)")
    #expect(!second.stdout.contains("alert"), "\(second.stdout)")
    // The resumed connection is admitted with the client identity of the session it resumed.
    _ = try #require(server.connections.take())
    let resumed = try #require(server.connections.take())
    #expect(resumed.peerCertificateSubject == "CN=alice")
    #expect(server.refusals.count == 0)
  }
}
