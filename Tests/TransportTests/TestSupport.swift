import Dispatch
import Foundation
import KDTransport
import Synchronization

/// Items handed from Dispatch callbacks to a test, taken in order. `take` waits at most `seconds` as a
/// safety net against hangs (not a timing assertion) and returns nil when nothing came.
final class Mailbox<T: Sendable>: @unchecked Sendable {  // safe: `items` is touched only under `lock`
  private let lock = NSLock()
  private var items: [T] = []
  private let arrivals = DispatchSemaphore(value: 0)

  func put(_ item: T) {
    lock.withLock { items.append(item) }
    arrivals.signal()
  }

  func take(within seconds: Double = 20) -> T? {
    guard arrivals.wait(timeout: .now() + seconds) == .success else { return nil }
    return lock.withLock { items.removeFirst() }
  }

  var count: Int { lock.withLock { items.count } }
}

/// A refusal as the listener reported it.
struct Refusal: Sendable {
  let peer: String
  let reason: String
}

/// Certificates made once per test run by Deploy/make-certs.sh (the openssl CLI) into a temporary directory:
/// the main CA with a server certificate and client `alice`, and an unrelated CA with client `mallory`.
struct TestPKI: Sendable {
  let directory: String
  let otherDirectory: String

  var caPath: String { directory + "/ca.pem" }
  var serverCertificate: String { directory + "/server.pem" }
  var serverKey: String { directory + "/server-key.pem" }
  var aliceCertificate: String { directory + "/client-alice.pem" }
  var aliceKey: String { directory + "/client-alice-key.pem" }
  var otherCAPath: String { otherDirectory + "/ca.pem" }
  var otherServerCertificate: String { otherDirectory + "/server.pem" }
  var otherServerKey: String { otherDirectory + "/server-key.pem" }
  var malloryCertificate: String { otherDirectory + "/client-mallory.pem" }
  var malloryKey: String { otherDirectory + "/client-mallory-key.pem" }

  static let shared: Result<TestPKI, TestFailure> = {
    let base = temporaryDirectory("pki")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Deploy/make-certs.sh").path
    for (name, client) in [("main", "alice"), ("other", "mallory")] {
      let result = runTool("/bin/sh", [script, "-o", base + "/" + name, "-c", client])
      guard result.status == 0 else { return .failure(TestFailure("make-certs.sh failed: \(result.stderr)")) }
    }
    return .success(TestPKI(directory: base + "/main", otherDirectory: base + "/other"))
  }()

  static func get() throws -> TestPKI { try shared.get() }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

func temporaryDirectory(_ name: String) -> String {
  let path = NSTemporaryDirectory() + "kdtransport-\(name)-\(UUID().uuidString)"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Runs a tool to completion, feeding `input` on stdin.
func runTool(_ path: String, _ arguments: [String], input: Data = Data()) -> (
  status: Int32, stdout: String, stderr: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let stdin = Pipe()
  let stdout = Pipe()
  let stderr = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  process.standardError = stderr
  do { try process.run() } catch { return (-1, "", "\(error)") }
  stdin.fileHandleForWriting.write(input)
  try? stdin.fileHandleForWriting.close()
  let out = stdout.fileHandleForReading.readDataToEndOfFile()
  let err = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// A listener on a free loopback port that records connections and refusals; by default it echoes.
final class TestServer: Sendable {
  let context: TLSServerContext
  let listener: TLSListener
  let connections = Mailbox<TLSConnection>()
  let refusals = Mailbox<Refusal>()
  let closes = Mailbox<TransportError?>()

  init(
    options: TLSServerOptions, host: String = "127.0.0.1", limits: AdmissionLimits = AdmissionLimits(pending: 16),
    echo: Bool = true
  ) throws {
    context = try TLSServerContext(options: options)
    let connections = connections
    let refusals = refusals
    let closes = closes
    listener = try TLSListener(
      host: host, port: 0, context: context, limits: limits,
      onConnection: { connection in
        connections.put(connection)
        if echo {
          connection.start(onReceive: { connection.send($0) }, onClose: { closes.put($0) })
        }
      },
      onRefusal: { refusals.put(Refusal(peer: $0, reason: $1)) })
    listener.start()
  }

  var port: UInt16 { listener.localPort }

  static func withPKI(
    clientCA: Bool = false, allowTLS12: Bool = false, handshakeTimeout: Duration = .seconds(10),
    limits: AdmissionLimits = AdmissionLimits(pending: 16),
    maxPendingOutputBytes: Int = TLSConnection.defaultMaxPendingOutputBytes,
    echo: Bool = true
  ) throws -> TestServer {
    let pki = try TestPKI.get()
    return try TestServer(
      options: TLSServerOptions(
        certificatePath: pki.serverCertificate, keyPath: pki.serverKey, stateDirectory: temporaryDirectory("state"),
        clientCAPath: clientCA ? pki.caPath : nil, allowTLS12: allowTLS12, handshakeTimeout: handshakeTimeout,
        maxPendingOutputBytes: maxPendingOutputBytes),
      limits: limits, echo: echo)
  }

  func stop() { listener.stop() }
}

/// The client end of a connection, collecting what it receives.
final class Probe: Sendable {
  let connection: TLSConnection
  let received = Mailbox<[UInt8]>()
  let closed = Mailbox<TransportError?>()

  init(_ connection: TLSConnection) {
    self.connection = connection
    let received = received
    let closed = closed
    connection.start(onReceive: { received.put($0) }, onClose: { closed.put($0) })
  }

  static func connect(_ server: TestServer, host: String = "127.0.0.1", options: TLSClientOptions) throws -> Probe {
    Probe(try TLSClient.connect(host: host, port: server.port, options: options, timeout: .seconds(20)))
  }

  /// Bytes until at least `count` arrived; nil if the connection went quiet.
  func read(_ count: Int) -> [UInt8]? {
    var bytes: [UInt8] = []
    while bytes.count < count {
      guard let chunk = received.take() else { return nil }
      bytes += chunk
    }
    return bytes
  }

  /// Sends `text` and returns what came back (an echo server answers with the same bytes).
  func roundTrip(_ text: String) -> String? {
    connection.send(Array(text.utf8))
    return read(text.utf8.count).map { String(decoding: $0, as: UTF8.self) }
  }
}

/// A plain TCP client for peers that do not speak TLS. Blocking, with a receive timeout as a safety net.
struct RawTCP {
  let fd: Int32

  init(port: UInt16) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard result == 0 else { throw TestFailure("connect: errno \(errno)") }
    var timeout = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  func send(_ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// Reads until the server closes (or resets); true when it did close within the safety timeout.
  func readUntilClosed() -> (closed: Bool, bytes: [UInt8]) {
    var all: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count > 0 {
        all += buffer[0..<count]
        continue
      }
      if count == 0 || errno == ECONNRESET { return (true, all) }
      return (false, all)
    }
  }

  func close() { Glibc.close(fd) }
}

/// A loopback port that was free a moment ago (for tools that cannot listen on port 0 and report it).
func freeLoopbackPort() throws -> UInt16 {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { Glibc.close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let ok = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
    }
  }
  guard ok else { throw TestFailure("no free port: errno \(errno)") }
  return UInt16(bigEndian: address.sin_port)
}
