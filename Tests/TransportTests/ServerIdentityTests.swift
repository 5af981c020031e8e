import Foundation
import KDTransport
import Testing

@Suite struct ServerIdentityTests {
  /// Without --cert/--key a self-signed identity is generated once (files 0600) and reused by the next start.
  @Test func selfSigned_generatedOnceAndReused() throws {
    let state = temporaryDirectory("selfsigned") + "/nested/state"
    let first = try TLSServerContext(options: TLSServerOptions(stateDirectory: state))
    #expect(first.generatedSelfSigned)
    #expect(first.certificateSubject == "CN=kdserver")
    let second = try TLSServerContext(options: TLSServerOptions(stateDirectory: state))
    #expect(!second.generatedSelfSigned)
    #expect(second.fingerprint == first.fingerprint)
    for file in ["server-selfsigned-cert.pem", "server-selfsigned-key.pem"] {
      let attributes = try FileManager.default.attributesOfItem(atPath: state + "/" + file)
      #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
    }
    let check = runTool(
      "/usr/bin/openssl", ["x509", "-in", state + "/server-selfsigned-cert.pem", "-noout", "-ext", "subjectAltName"])
    #expect(check.stdout.contains("DNS:localhost") && check.stdout.contains("IP Address:127.0.0.1"))

    let server = try TestServer(options: TLSServerOptions(stateDirectory: state))
    defer { server.stop() }
    let probe = try Probe.connect(server, options: TLSClientOptions(fingerprint: first.fingerprint))
    #expect(probe.roundTrip("self-signed") == "self-signed")
    probe.connection.close(flush: false)
  }

  /// Deploy/make-certs.sh: every key 0600 (client keys too, also when a later run adds a client), every certificate
  /// 0644, the directory 0700.
  @Test func makeCerts_everyKeyIsOwnerOnly() throws {
    let directory = temporaryDirectory("make-certs") + "/tls"
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Deploy/make-certs.sh").path
    for clients in [["-c", "alice", "-c", "bob"], ["-c", "carol"]] {
      let result = runTool("/bin/sh", [script, "-o", directory] + clients)
      #expect(result.status == 0, "\(result.stderr)")
    }
    func mode(_ path: String) throws -> Int? {
      try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }
    #expect(try mode(directory) == 0o700)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(files.filter { $0.hasSuffix("-key.pem") }.count == 5, "\(files)")  // CA, server, three clients
    for file in files {
      #expect(try mode(directory + "/" + file) == (file.hasSuffix("-key.pem") ? 0o600 : 0o644), "\(file)")
    }
  }

  /// Certificate and key must come together; a missing file is a configuration error naming it.
  @Test func configuredIdentity_errorsNameTheProblem() throws {
    let pki = try TestPKI.get()
    let state = temporaryDirectory("state")
    let halfPair = #expect(throws: TransportError.self) {
      try TLSServerContext(options: TLSServerOptions(certificatePath: pki.serverCertificate, stateDirectory: state))
    }
    #expect(halfPair?.code == .configuration)
    let missingFile = #expect(throws: TransportError.self) {
      try TLSServerContext(
        options: TLSServerOptions(
          certificatePath: state + "/missing.pem", keyPath: pki.serverKey, stateDirectory: state))
    }
    #expect(missingFile?.code == .configuration)
    #expect(missingFile?.reason.contains("missing.pem") == true)
    #expect(missingFile?.openSSLErrors.isEmpty == false)
    let wrongKey = #expect(throws: TransportError.self) {
      try TLSServerContext(
        options: TLSServerOptions(
          certificatePath: pki.serverCertificate, keyPath: pki.otherServerKey, stateDirectory: state))
    }
    #expect(wrongKey?.code == .configuration)
    #expect(wrongKey?.reason.contains("mismatch") == true)
  }

  /// reload() serves new connections with the new certificate; a session already open keeps working.
  @Test func reload_newConnectionsGetNewCertificateExistingSessionUntouched() throws {
    let pki = try TestPKI.get()
    let directory = temporaryDirectory("reload")
    let certificate = directory + "/cert.pem"
    let key = directory + "/key.pem"
    try FileManager.default.copyItem(atPath: pki.serverCertificate, toPath: certificate)
    try FileManager.default.copyItem(atPath: pki.serverKey, toPath: key)
    let server = try TestServer(
      options: TLSServerOptions(certificatePath: certificate, keyPath: key, stateDirectory: directory))
    defer { server.stop() }
    let oldFingerprint = server.context.fingerprint
    let old = try Probe.connect(server, options: TLSClientOptions(fingerprint: oldFingerprint))
    #expect(old.roundTrip("before") == "before")

    try FileManager.default.removeItem(atPath: certificate)
    try FileManager.default.removeItem(atPath: key)
    try FileManager.default.copyItem(atPath: pki.otherServerCertificate, toPath: certificate)
    try FileManager.default.copyItem(atPath: pki.otherServerKey, toPath: key)
    try server.context.reload()
    #expect(server.context.fingerprint != oldFingerprint)

    let new = try Probe.connect(server, options: TLSClientOptions(caPath: pki.otherCAPath))
    #expect(new.roundTrip("new") == "new")
    #expect(throws: TransportError.self) {
      try TLSClient.connect(
        host: "127.0.0.1", port: server.port, options: TLSClientOptions(fingerprint: oldFingerprint))
    }
    #expect(old.roundTrip("still here") == "still here")
    old.connection.close(flush: false)
    new.connection.close(flush: false)
  }
}
