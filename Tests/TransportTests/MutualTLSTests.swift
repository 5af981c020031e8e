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
