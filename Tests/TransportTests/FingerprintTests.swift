import Foundation
import KDTransport
import Testing

@Suite struct FingerprintTests {
  /// The server's fingerprint matches what `openssl x509 -fingerprint -sha256` prints, in our format.
  @Test func fingerprint_matchesOpenSSLCLI() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let cli = runTool("/usr/bin/openssl", ["x509", "-in", pki.serverCertificate, "-noout", "-fingerprint", "-sha256"])
    let hex = try #require(cli.stdout.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(server.context.fingerprint == "SHA256:" + hex)
    #expect(server.context.fingerprint.count == 7 + 32 * 3 - 1)
    #expect(
      CertificateFingerprint.normalized(hex.replacingOccurrences(of: ":", with: "").lowercased())
        == server.context.fingerprint)
    #expect(CertificateFingerprint.normalized("SHA256:AB") == nil)
  }

  /// A client that pins the right fingerprint connects without any CA; a wrong pin is refused.
  @Test func fingerprintPin_matchConnectsMismatchRefused() throws {
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let pinned = try Probe.connect(server, options: TLSClientOptions(fingerprint: server.context.fingerprint))
    #expect(pinned.roundTrip("pinned") == "pinned")
    pinned.connection.close(flush: false)

    let wrong = "SHA256:" + Array(repeating: "00", count: 32).joined(separator: ":")
    let error = #expect(throws: TransportError.self) {
      try TLSClient.connect(host: "127.0.0.1", port: server.port, options: TLSClientOptions(fingerprint: wrong))
    }
    #expect(error?.code == .verification)
    #expect(error?.reason.contains("does not match the pinned \(wrong)") == true)
    #expect(error?.reason.contains(server.context.fingerprint) == true)
  }
}
