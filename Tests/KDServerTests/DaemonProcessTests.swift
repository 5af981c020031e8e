import Foundation
import KDClient
import KDProtocol
import KDTestSupport
import KDTransport
import Testing

/// The real `kdserver` executable: start line, signals, and a foreign TLS peer (openssl s_client).
@Suite(.serialized) struct DaemonProcessTests {
  func attach(port: UInt16, fingerprint: String) throws -> RemoteConnection {
    var options = RemoteConnection.Options(tls: TLSClientOptions(fingerprint: fingerprint))
    options.connectTimeout = .seconds(20)
    return try RemoteConnection(host: "127.0.0.1", port: port, options: options)
  }

  @Test func startLineNamesTheRealPortAndFingerprintAndSIGTERMExitsCleanly() throws {
    let (child, port, fingerprint) = try KDServerProcess.start()
    #expect(port != 0)
    #expect(fingerprint.hasPrefix("SHA256:"))
    let client = try attach(port: port, fingerprint: fingerprint)
    #expect(client.isController)
    child.process.terminate()  // SIGTERM
    #expect(child.waitExit() == 0)
    for _ in 0..<200 where client.closedReason == nil { usleep(10_000) }
    #expect(
      client.closedReason?.contains("shutting down") == true, "clients are told: \(client.closedReason ?? "nothing")")
  }

  @Test func sighupReloadsCertificatesWithoutDroppingSessions() throws {
    let (child, port, fingerprint) = try KDServerProcess.start()
    let client = try attach(port: port, fingerprint: fingerprint)
    kill(child.process.processIdentifier, SIGHUP)
    #expect(child.line(containing: "SIGHUP: certificates reloaded") != nil)
    #expect(try client.request(.getVersion(GetVersion())).status == .success)
    var options = RemoteConnection.Options(tls: TLSClientOptions(fingerprint: fingerprint))
    options.wantController = false
    let second = try RemoteConnection(host: "127.0.0.1", port: port, options: options)
    #expect(second.hello.role == .observer)
    child.process.terminate()
    #expect(child.waitExit() == 0)
  }

  @Test func refusesToServeTheNetworkWithoutAuthentication() throws {
    let child = try KDServerProcess(["--listen", "0.0.0.0:0", "--state-dir", makeTemporaryDirectory("daemon")])
    let status = child.waitExit()
    #expect(status != nil && status != 0)
    #expect(child.stderr.contains("--client-ca"))
    #expect(child.stderr.contains("--token-file"))
  }

  @Test func opensslClientCompletesTLS13AndAHelloAndTLS12IsRefused() throws {
    let (child, port, _) = try KDServerProcess.start(["--once"])
    let old = run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2"])
    #expect(old.status != 0)
    #expect(old.stderr.contains("alert protocol version"), "stderr: \(old.stderr)")
    let hello = Message.hello(Hello(clientName: "openssl s_client", flags: [])).encoded(packetId: 1)
    let goodbye = Message.goodbye(Goodbye(status: .success, reason: "done")).encoded(packetId: 0)
    let result = runBinary(
      "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-quiet"],
      input: Data(hello + goodbye))
    var decoder = FrameDecoder()
    decoder.feed(Array(result.stdout))
    let frame = try #require(try decoder.next(), "no frame from the server; stderr: \(result.stderr)")
    guard case .helloReply(let reply) = try Message(frame: frame) else { throw TestFailure("not a hello reply") }
    #expect(reply.status == .success)
    #expect(reply.role == .observer)
    // --once: the daemon exits after that session.
    #expect(child.waitExit() == 0)
  }
}

/// Like `run`, keeping stdout's bytes.
func runBinary(_ path: String, _ arguments: [String], input: Data) -> (status: Int32, stdout: Data, stderr: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stderr
  do { try process.run() } catch { return (-1, Data(), "\(error)") }
  stdin.fileHandleForWriting.write(input)
  let out = stdout.fileHandleForReading.readDataToEndOfFile()
  try? stdin.fileHandleForWriting.close()
  let err = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, out, String(decoding: err, as: UTF8.self))
}
