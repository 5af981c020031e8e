import Dispatch
import KDProtocol
import KDTransport

#if canImport(Glibc)
  import Glibc
#endif

/// `kdserver --probe HOST:PORT`: a health check that speaks the protocol, for systemd, Kubernetes and scripts.
/// It pins the certificate the server itself uses (its `--cert`, else the self-signed one in its `--state-dir`:
/// the probe is given the server's own flags), sends a hello as an observer with the server's token, and
/// reads the HELLO_REPLY. Alive: STATUS_SUCCESS, or STATUS_QUOTA_EXCEEDED (serving, but full). Anything else,
/// or nothing before the deadline, is a failure with its reason.
enum Probe {
  struct Outcome {
    var alive: Bool
    var line: String
  }

  static func run(
    host: String, port: UInt16, certificatePath: String?, stateDirectory: String, token: [UInt8], timeout: Duration
  ) -> Outcome {
    let certificate = certificatePath ?? stateDirectory + "/server-selfsigned-cert.pem"
    guard access(certificate, R_OK) == 0 else {
      return Outcome(
        alive: false,
        line: "cannot read the server's certificate \(certificate) to pin it"
          + (certificatePath == nil ? " (has kdserver started with this --state-dir?)" : ""))
    }
    let fingerprint: String
    do {
      fingerprint = try CertificateFingerprint.ofFile(certificate)
    } catch {
      return Outcome(alive: false, line: "cannot read \(certificate): \(error.reason)")
    }
    let link: DirectTLSLink
    do {
      link = try TLSClient.connectDirect(
        host: host, port: port, options: TLSClientOptions(fingerprint: fingerprint), timeout: timeout)
    } catch {
      return Outcome(alive: false, line: error.reason)
    }
    let answer = ProbeAnswer()
    link.start { event in
      switch event {
      case .frame(let frame):
        if let message = try? Message(frame: frame) { answer.take(message) }
      case .closed(let error): answer.closed(error.map { $0.reason } ?? "the server closed the connection")
      case .malformed(let error): answer.closed("malformed frame: \(error)")
      case .partialFrame: break
      }
    }
    link.send(Message.hello(Hello(clientName: "kdserver-probe", flags: [], token: token)).encoded(packetId: 1))
    let result = answer.wait(timeout)
    if case .reply = result {
      link.send(Message.goodbye(Goodbye(status: .success, reason: "probe done")).encoded(packetId: 0))
    }
    link.close(flush: true)
    switch result {
    case .reply(let reply) where reply.status == .success || reply.status == .quotaExceeded:
      let state = reply.targetState == .halted ? "halted" : "running"
      let full = reply.status == .quotaExceeded ? " (full: \(reply.status))" : ""
      return Outcome(alive: true, line: "ok: \(reply.serverName) at \(host):\(port), target \(state)\(full)")
    case .reply(let reply):
      return Outcome(alive: false, line: "hello refused: \(reply.status)" + (answer.reason.map { ": \($0)" } ?? ""))
    case .failed(let reason):
      return Outcome(alive: false, line: "no hello reply: \(reason)")
    case .timedOut:
      return Outcome(alive: false, line: "no hello reply within \(timeout)")
    }
  }
}

/// What the probe's reader saw. `@unchecked Sendable`: every field is behind `lock`.
private final class ProbeAnswer: @unchecked Sendable {
  enum Result {
    case reply(HelloReply)
    case failed(String)
    case timedOut
  }
  private let lock = DispatchSemaphore(value: 1)
  private let done = DispatchSemaphore(value: 0)
  private var result: Result?
  private(set) var reason: String?

  func take(_ message: Message) {
    lock.wait()
    defer { lock.signal() }
    switch message {
    case .helloReply(let reply) where result == nil:
      result = .reply(reply)
      if reply.status == .success || reply.status == .quotaExceeded { done.signal() }
    case .goodbye(let goodbye):
      reason = goodbye.reason
      if result == nil { result = .failed("goodbye \(goodbye.status): \(goodbye.reason)") }
      done.signal()
    default: break
    }
  }

  func closed(_ why: String) {
    lock.wait()
    if result == nil { result = .failed(why) }
    lock.signal()
    done.signal()
  }

  func wait(_ timeout: Duration) -> Result {
    let ms = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    _ = done.wait(timeout: .now() + .milliseconds(ms))
    lock.wait()
    defer { lock.signal() }
    return result ?? .timedOut
  }
}
