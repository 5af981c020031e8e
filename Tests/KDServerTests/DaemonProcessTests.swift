import Foundation
import KDClient
import KDProtocol
import KDTransport
import Testing

/// The real `kdserver` executable: start line, signals, and a foreign TLS peer (openssl s_client).
@Suite(.serialized) struct DaemonProcessTests {
  /// A `kdserver` child process whose stderr is collected.
  final class Child: @unchecked Sendable {
    // @unchecked Sendable: `output` is only touched under `lock`.
    let process = Process()
    let lock = NSLock()
    var output = ""

    init(_ arguments: [String]) throws {
      process.executableURL = URL(fileURLWithPath: builtExecutable("kdserver"))
      process.arguments = arguments
      let pipe = Pipe()
      process.standardError = pipe
      process.standardOutput = FileHandle.nullDevice
      pipe.fileHandleForReading.readabilityHandler = { [self] handle in
        let data = handle.availableData
        lock.lock()
        output += String(decoding: data, as: UTF8.self)
        lock.unlock()
      }
      try process.run()
    }

    var stderr: String {
      lock.lock()
      defer { lock.unlock() }
      return output
    }

    /// Waits (bounded) for a line containing `text` and returns it.
    func line(containing text: String, seconds: Double = 60) -> String? {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if let line = stderr.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
        if !process.isRunning {
          usleep(100_000)  // let the last output arrive
          return stderr.split(separator: "\n").first(where: { $0.contains(text) }).map(String.init)
        }
        usleep(20_000)
      }
      return nil
    }

    func waitExit(seconds: Double = 30) -> Int32? {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning && Date() < deadline { usleep(20_000) }
      return process.isRunning ? nil : process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
  }

  static func start(_ extra: [String] = []) throws -> (Child, port: UInt16, fingerprint: String) {
    let child = try Child(
      ["--listen", "127.0.0.1:0", "--state-dir", makeTemporaryDirectory("daemon"), "--pace", "0"] + extra)
    guard let line = child.line(containing: "listening on") else {
      throw TestFailure("no 'listening on' line; stderr: \(child.stderr)")
    }
    let port = line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }.flatMap {
      UInt16($0.split(separator: ":")[1])
    }
    let fingerprint = line.split(separator: " ").first { $0.hasPrefix("fingerprint=") }.map { String($0.dropFirst(12)) }
    guard let port, let fingerprint else { throw TestFailure("cannot parse: \(line)") }
    return (child, port, fingerprint)
  }

  func attach(port: UInt16, fingerprint: String) throws -> RemoteConnection {
    var options = RemoteConnection.Options(tls: TLSClientOptions(fingerprint: fingerprint))
    options.connectTimeout = .seconds(20)
    return try RemoteConnection(host: "127.0.0.1", port: port, options: options)
  }

  @Test func startLineNamesTheRealPortAndFingerprintAndSIGTERMExitsCleanly() throws {
    let (child, port, fingerprint) = try Self.start()
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
    let (child, port, fingerprint) = try Self.start()
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
    let child = try Child(["--listen", "0.0.0.0:0", "--state-dir", makeTemporaryDirectory("daemon")])
    let status = child.waitExit()
    #expect(status != nil && status != 0)
    #expect(child.stderr.contains("--client-ca"))
    #expect(child.stderr.contains("--token-file"))
  }

  @Test func opensslClientCompletesTLS13AndAHelloAndTLS12IsRefused() throws {
    let (child, port, _) = try Self.start(["--once"])
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
