import Dispatch
import Foundation
import KDClient
import KDProtocol
import KDServer
import KDTestSupport
import KDTransport
import Logging
import Synchronization

/// A real kdserver daemon in this process: real kernel, real TLS on a loopback port chosen by the system.
final class TestServer: Sendable {
  let daemon: Daemon
  let stateDirectory: String
  let logs: LogCapture

  init(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
    stateDirectory = makeTemporaryDirectory("server")
    var configuration = ServerConfiguration(stateDirectory: stateDirectory)
    configuration.port = 0
    configuration.pace = 0
    configure(&configuration)
    logs = LogCapture()
    var logger = Logger(label: "kdserver-test") { [logs] _ in logs }
    logger.logLevel = .info
    daemon = try Daemon(configuration: configuration, logger: logger)
    try daemon.start()
  }

  var port: UInt16 { daemon.port }

  func stop() {
    daemon.stop(reason: "test finished")
    daemon.waitUntilStopped()
  }

  /// Client options that pin this server's self-signed certificate.
  var pinned: TLSClientOptions { TLSClientOptions(fingerprint: daemon.fingerprint) }

  func connect(
    controller: Bool = true, token: [UInt8] = [], tls: TLSClientOptions? = nil, breakOnAttach: Bool = false
  ) throws(RemoteError) -> RemoteConnection {
    var options = RemoteConnection.Options(tls: tls ?? pinned)
    options.wantController = controller
    options.token = token
    options.breakOnAttach = breakOnAttach
    options.connectTimeout = .seconds(20)
    return try RemoteConnection(host: "127.0.0.1", port: port, options: options)
  }
}

/// swift-log handler that keeps lines for assertions.
final class LogCapture: LogHandler, @unchecked Sendable {
  // @unchecked Sendable: `lines` is guarded by its Mutex; metadata/logLevel are set once at creation.
  private let storage = Mutex<[String]>([])
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    let merged = metadata.merging(event.metadata ?? [:]) { $1 }
    let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    storage.withLock { $0.append("\(event.level) \(event.message) \(meta)") }
  }

  var lines: [String] { storage.withLock { $0 } }

  /// Waits (bounded, as a safety net) for a line containing `text`.
  func waitFor(_ text: String, seconds: Double = 20) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let line = lines.first(where: { $0.contains(text) }) { return line }
      usleep(20_000)
    }
    return nil
  }
}

/// A raw TLS peer speaking bytes, for hostile-peer tests.
final class RawPeer: Sendable {
  let connection: TLSConnection
  private let received = Mutex<[UInt8]>([])
  private let closedReason = Mutex<String?>(nil)
  private let arrival = DispatchSemaphore(value: 0)

  init(port: UInt16, fingerprint: String) throws {
    connection = try TLSClient.connect(
      host: "127.0.0.1", port: port, options: TLSClientOptions(fingerprint: fingerprint), timeout: .seconds(10))
    connection.start(
      onReceive: { [self] bytes in
        received.withLock { $0.append(contentsOf: bytes) }
        arrival.signal()
      },
      onClose: { [self] error in
        closedReason.withLock { $0 = error.map { "\($0)" } ?? "closed" }
        arrival.signal()
      })
  }

  func send(_ bytes: [UInt8]) { connection.send(bytes) }

  /// Messages received so far (decoded), waiting until `count` arrived or the peer closed.
  func messages(atLeast count: Int, seconds: Double = 20) -> [Message] {
    let deadline = DispatchTime.now() + seconds
    while true {
      var decoder = FrameDecoder()
      decoder.feed(received.withLock { $0 })
      var out: [Message] = []
      while let frame = try? decoder.next(), let m = try? Message(frame: frame) { out.append(m) }
      if out.count >= count || isClosed { return out }
      if arrival.wait(timeout: deadline) == .timedOut { return out }
    }
  }

  var isClosed: Bool { closedReason.withLock { $0 != nil } }

  func waitClosed(seconds: Double = 20) -> Bool {
    let deadline = DispatchTime.now() + seconds
    while !isClosed {
      if arrival.wait(timeout: deadline) == .timedOut { return isClosed }
    }
    return true
  }
}

extension ManipulateState {
  var readData: [UInt8]? {
    if case .readVirtualMemory(let r) = body { return r.data }
    return nil
  }
}
