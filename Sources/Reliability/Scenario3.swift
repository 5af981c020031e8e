import Dispatch
import Foundation
import KDClient
import KDProtocol
import KDTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Scenario 3: `hostile` hostile connections, `parallel` at a time, in a shuffled mix of the kinds below, while a
/// working controller session keeps issuing requests. The working session must never fail (and read back what it
/// wrote); every hostile peer must be disconnected by the server (TLS peers: after a GOODBYE); kdserver's stderr
/// must hold exactly one `refused connection` or `disconnecting` line per hostile connection.
func scenario3(_ server: ServerChild, hostile: Int, parallel: Int) {
  say("scenario 3: \(hostile) hostile connections (\(parallel) at a time) beside a working session")
  let kinds = HostileKind.allCases
  // Refusals: one line each for the first of a quiet spell and for session-level disconnects, then summary
  // lines that count the rest (kdserver runs with --refusal-log-seconds 1 here).
  let refusalLines = { server.log.map(refusalsCounted).reduce(0, +) }
  let linesBefore = refusalLines()

  // The working session.
  let hostileDone = Atomic<Bool>(false)
  let work = Mutex((rounds: 0, failures: [String](), slowest: 0.0))
  let workDone = DispatchSemaphore(value: 0)
  let working: RemoteConnection
  do {
    working = try server.connectController()
  } catch {
    tally.check(false, "scenario 3: the working session could not attach: \(error)")
    return
  }
  let descriptorsBefore = server.openDescriptors
  let rssBefore = server.rssKiB ?? 0
  let worker = Thread {
    let debugger = Debugger(target: RemoteTarget(connection: working))
    let first = debugger.run(".runfor 0")
    if let bad = first.first(where: { !$0.succeeded }) {
      work.withLock { $0.failures.append(".runfor 0: \(bad.error ?? "")") }
    }
    var round = 0
    while !hostileDone.load(ordering: .relaxed) || round < 10 {
      round += 1
      let start = ContinuousClock.now
      let value = 0x5300_0000 | UInt32(round)
      let results = debugger.run("ed 804daf00 \(hex(value)); dd 804daf00 L1; dd nt!PoolHitTag L1; !poolused 4; kb")
      let elapsed = seconds(since: start)
      var failure: String?
      if let bad = results.first(where: { !$0.succeeded }) {
        failure = "round \(round): `\(bad.command)`: \(bad.error ?? "")"
      } else if results.count != 5 {
        failure = "round \(round): \(results.count) results"
      } else {
        let read = results[1].text.split(separator: "\n").first?.split(separator: " ").dropFirst().first
        if read.flatMap({ UInt32($0, radix: 16) }) != value {
          failure = "round \(round): wrote \(hex(value)), read back \(read ?? "nothing")"
        }
      }
      work.withLock { w in
        w.rounds = round
        w.slowest = max(w.slowest, elapsed)
        if let failure { w.failures.append(failure) }
      }
      if failure != nil && working.closedReason != nil { break }
    }
    workDone.signal()
  }
  worker.start()

  // The hostile peers.
  let started = ContinuousClock.now
  var order = (0..<hostile).map { kinds[$0 % kinds.count] }
  order.shuffle()
  let plan = order
  let next = Atomic<Int>(0)
  let outcomes = Mutex<[HostileKind: (count: Int, failures: [String])]>([:])
  let group = DispatchGroup()
  for _ in 0..<parallel {
    group.enter()
    let thread = Thread {
      while true {
        let index = next.add(1, ordering: .relaxed).oldValue
        guard index < plan.count else { break }
        let kind = plan[index]
        let failure = kind.run(port: server.port, tls: server.tls)
        outcomes.withLock { o in
          var entry = o[kind] ?? (0, [])
          entry.count += 1
          if let failure { entry.failures.append(failure) }
          o[kind] = entry
        }
      }
      group.leave()
    }
    thread.stackSize = 512 << 10
    thread.start()
  }
  let allDone = group.wait(timeout: .now() + 400)
  let hostileSeconds = seconds(since: started)
  hostileDone.store(true, ordering: .relaxed)
  tally.check(allDone == .success, "scenario 3: hostile peers still running after 400 s")
  tally.check(workDone.wait(timeout: .now() + 60) == .success, "scenario 3: the working session hung")

  // The server's lines: one per hostile connection (late ones may still be on their way).
  var lines = refusalLines() - linesBefore
  for _ in 0..<60 where lines < hostile {
    usleep(100_000)
    lines = refusalLines() - linesBefore
  }
  // Every hostile connection's socket is closed again (none leaked): compared once they are all logged.
  var descriptorsAfter = server.openDescriptors
  for _ in 0..<50 where descriptorsAfter > descriptorsBefore {
    usleep(100_000)
    descriptorsAfter = server.openDescriptors
  }
  let rssAfter = server.rssKiB ?? 0
  tally.check(
    descriptorsAfter <= descriptorsBefore,
    "scenario 3: kdserver has \(descriptorsAfter) descriptors open after, \(descriptorsBefore) before")
  let w = work.withLock { $0 }
  tally.check(w.failures.isEmpty, "scenario 3: working session: \(w.failures.prefix(5).joined(separator: "; "))")
  tally.check(working.closedReason == nil, "scenario 3: working session closed: \(working.closedReason ?? "")")
  working.detach()
  let o = outcomes.withLock { $0 }
  var refused = 0
  for kind in kinds {
    let entry = o[kind] ?? (0, [])
    refused += entry.count - entry.failures.count
    tally.check(
      entry.failures.isEmpty,
      "scenario 3: \(kind.rawValue): \(entry.failures.count) of \(entry.count) not refused: "
        + entry.failures.prefix(3).joined(separator: "; "))
  }
  // A peer that speaks TLS records gets OpenSSL's alert; a peer that does not (plaintext, garbage) gets none:
  // OpenSSL sends no alert when the first record is not TLS at all. Only the former is a check.
  let tlsShaped = tlsAlerts.withLock { $0[.garbageClientHello] } ?? (peers: 0, alerts: 0)
  tally.check(
    tlsShaped.peers == tlsShaped.alerts,
    "scenario 3: \(tlsShaped.peers - tlsShaped.alerts) of \(tlsShaped.peers) garbage ClientHellos got no TLS alert")
  tally.check(lines == hostile, "scenario 3: kdserver's log accounts for \(lines) refusals for \(hostile) peers")
  var reasons: [String: Int] = [:]
  for line in server.log.dropFirst(0) where isRefusalLine(line) { reasons[refusalReason(line), default: 0] += 1 }
  say(
    "scenario 3: \(hostile) hostile connections in \(String(format: "%.1f", hostileSeconds)) s, \(refused) refused "
      + "and closed by the server; \(lines) server lines; working session: \(w.rounds) rounds of 5 commands, "
      + "\(w.failures.count) failures, slowest round \(String(format: "%.3f", w.slowest)) s; kdserver descriptors "
      + "\(descriptorsBefore) before, \(descriptorsAfter) after; VmRSS \(rssBefore / 1024) MiB before, "
      + "\(rssAfter / 1024) MiB after")
  for kind in kinds {
    let entry = o[kind] ?? (0, [])
    let alerts = tlsAlerts.withLock { $0[kind] }.map { ", \($0.alerts) of them got a TLS alert before the close" } ?? ""
    say("  \(kind.rawValue): \(entry.count) (\(entry.count - entry.failures.count) refused\(alerts))")
  }
  say(
    "  server reasons: "
      + reasons.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }.joined(separator: "; "))
}

func isRefusalLine(_ line: String) -> Bool {
  line.contains("refused connection") || line.hasSuffix("disconnecting")
}

/// How many refusals a log line stands for: 1 for a refusal or disconnect line, N for a summary line
/// (`refused N more connections in the last ...`), 0 otherwise.
func refusalsCounted(_ line: String) -> Int {
  if isRefusalLine(line) { return 1 }
  guard line.contains("more connections in the last"), let r = line.range(of: "] refused ") else { return 0 }
  return Int(line[r.upperBound...].prefix(while: \.isNumber)) ?? 0
}

/// The reason of a refusal line, shortened for a histogram.
func refusalReason(_ line: String) -> String {
  guard let marker = line.range(of: "reason=") else { return line }
  var reason = line[marker.upperBound...]
  if reason.hasPrefix("\"") { reason = reason.dropFirst() }
  return String(reason.prefix(while: { $0 != "(" && $0 != ":" }).prefix(48))
    .trimmingCharacters(in: .whitespaces)
}

enum HostileKind: String, CaseIterable, Sendable {
  case plaintext = "plaintext HTTP request (no TLS)"
  case garbage = "random garbage bytes (no TLS)"
  case stalledTCP = "stalled handshake: TCP connect, nothing sent"
  case stalledClientHello = "stalled handshake: half a TLS ClientHello record"
  case garbageClientHello = "a TLS handshake record holding garbage"
  case oversizedBeforeHello = "TLS, oversized frame header instead of a hello"
  case garbageBeforeHello = "TLS, garbage instead of a hello"
  case stalledHello = "TLS, no hello sent"
  case checksumAfterHello = "TLS, good hello, then a checksum-corrupted request"
  case fuzzedAfterHello = "TLS, good hello, then a fuzzed frame (bad leader/trailer/count/type)"
  case oversizedAfterHello = "TLS, good hello, then an oversized frame header"
  case stalledFrameAfterHello = "TLS, good hello, then half a frame"

  /// Runs one hostile peer; nil when the server refused and closed it as it should, else what went wrong.
  func run(port: UInt16, tls: TLSClientOptions) -> String? {
    switch self {
    case .plaintext:
      return rawTCP(self, port: port, send: Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8), wait: 15)
    case .garbage:
      var bytes = (0..<Int.random(in: 1...2048)).map { _ in UInt8.random(in: 0...255) }
      bytes[0] = UInt8.random(in: 0x17...0xff)  // not a TLS handshake record
      return rawTCP(self, port: port, send: bytes, wait: 15)
    case .stalledTCP:
      return rawTCP(self, port: port, send: [], wait: 25)
    case .garbageClientHello:
      let body = (0..<Int.random(in: 4...300)).map { _ in UInt8.random(in: 0...255) }
      let length = [UInt8(body.count >> 8), UInt8(body.count & 0xff)]
      return rawTCP(self, port: port, send: [0x16, 0x03, 0x01] + length + body, wait: 15)
    case .stalledClientHello:
      return rawTCP(self, port: port, send: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01], wait: 25)
    default:
      return tlsPeer(port: port, tls: tls)
    }
  }

  private func tlsPeer(port: UInt16, tls: TLSClientOptions) -> String? {
    let peer: HostilePeer
    do {
      peer = try HostilePeer(port: port, tls: tls)
    } catch {
      return "TLS connect failed: \(error)"
    }
    let hello = Message.hello(Hello(clientName: "hostile", flags: [], maxPayload: 0x400)).encoded(packetId: 1)
    let request = Message.manipulate(
      ManipulateState(.readVirtualMemory(ReadVirtualMemory(address: 0x804d_a000, transferCount: 4)))
    ).encoded(packetId: 2)
    var wait = 15.0
    switch self {
    case .oversizedBeforeHello:
      peer.send(header(leader: 0x3030_3030, type: 0x20, count: UInt16.random(in: 0xF001...0xFFFF)))
    case .garbageBeforeHello:
      var bytes = (0..<Int.random(in: 4...512)).map { _ in UInt8.random(in: 0...255) }
      bytes[0] = 0x41  // "A...": no leader starts so
      peer.send(bytes)
    case .stalledHello:
      wait = 25
    default:
      peer.send(hello)
      guard peer.waitForHelloReply() else { return "no hello reply (\(peer.closedReason ?? "open"))" }
      switch self {
      case .checksumAfterHello:
        var bytes = request
        bytes[16 + Int.random(in: 0..<(bytes.count - 17))] &+= UInt8.random(in: 1...255)  // payload, sum now off
        peer.send(bytes)
      case .fuzzedAfterHello:
        peer.send(fuzzed(request))
      case .oversizedAfterHello:
        peer.send(header(leader: 0x3030_3030, type: 2, count: UInt16.random(in: 0xF001...0xFFFF)))
      case .stalledFrameAfterHello:
        peer.send(Array(request.prefix(Int.random(in: 1..<request.count))))
        wait = 25
      default:
        break
      }
    }
    guard peer.waitClosed(seconds: wait) else {
      peer.connection.close(flush: false)
      return "not closed by the server within \(Int(wait)) s"
    }
    guard peer.sawGoodbye else { return "closed without a GOODBYE (\(peer.closedReason ?? ""))" }
    return nil
  }
}

/// A 16-byte frame header.
private func header(leader: UInt32, type: UInt16, count: UInt16, id: UInt32 = 7, checksum: UInt32 = 0) -> [UInt8] {
  var out: [UInt8] = []
  for v in [leader] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
  out += [UInt8(type & 0xff), UInt8(type >> 8), UInt8(count & 0xff), UInt8(count >> 8)]
  for v in [id, checksum] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
  return out
}

/// A structurally invalid variant of a good frame, chosen at random.
private func fuzzed(_ good: [UInt8]) -> [UInt8] {
  var bytes = good
  switch Int.random(in: 0..<5) {
  case 0:  // a leader that is none of "0000", "iiii", "bbbb"
    bytes[Int.random(in: 0..<4)] = [0x00, 0x31, 0x68, 0xff, 0x63].randomElement()!
  case 1:  // a trailing byte other than 0xAA
    bytes[bytes.count - 1] = UInt8.random(in: 0...0xa9)
  case 2:  // a control packet that declares a payload
    return header(leader: 0x6969_6969, type: 4, count: UInt16.random(in: 1...64))
  case 3:  // a break-in packet with a packet type
    return header(leader: 0x6262_6262, type: UInt16.random(in: 1...0xffff), count: 0)
  default:  // a byte count beyond the 1024 bytes the hello negotiated (still under the hard limit)
    return header(leader: 0x3030_3030, type: 2, count: UInt16.random(in: 0x401...0xF000))
  }
  return bytes
}

/// Plain TCP: connect, send, then wait for the server to close (EOF or reset) within `wait` seconds.
/// Per plain-TCP kind: peers, and how many got a TLS alert record (0x15) before the close.
let tlsAlerts = Mutex<[HostileKind: (peers: Int, alerts: Int)]>([:])

private func rawTCP(_ kind: HostileKind, port: UInt16, send bytes: [UInt8], wait: Double) -> String? {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return "socket: errno \(errno)" }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = port.bigEndian
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  guard connected == 0 else { return "connect: errno \(errno)" }
  if !bytes.isEmpty {
    let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    if sent < 0 && errno != ECONNRESET && errno != EPIPE { return "send: errno \(errno)" }
  }
  var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
  var buffer = [UInt8](repeating: 0, count: 4096)
  var first: UInt8?
  while ContinuousClock.now < deadline {
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    if n > 0 && first == nil { first = buffer[0] }
    if n == 0 || (n < 0 && errno == ECONNRESET) {
      tlsAlerts.withLock { t in
        var entry = t[kind] ?? (0, 0)
        entry.peers += 1
        if first == 0x15 { entry.alerts += 1 }
        t[kind] = entry
      }
      return nil
    }
    if n < 0 {
      if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
      return "recv: errno \(errno)"
    }
  }
  return "not closed by the server within \(Int(wait)) s"
}

/// A TLS peer that collects what the server sends (after RawPeer in Tests/KDServerTests/ServerTestSupport.swift).
final class HostilePeer: Sendable {
  let connection: TLSConnection
  private let received = Mutex<[UInt8]>([])
  private let closed = Mutex<String?>(nil)
  private let arrival = DispatchSemaphore(value: 0)

  init(port: UInt16, tls: TLSClientOptions) throws {
    connection = try TLSClient.connect(host: "127.0.0.1", port: port, options: tls, timeout: .seconds(20))
    connection.start(
      onReceive: { [self] bytes in
        received.withLock { $0.append(contentsOf: bytes) }
        arrival.signal()
      },
      onClose: { [self] error in
        closed.withLock { $0 = error.map { "\($0)" } ?? "closed" }
        arrival.signal()
      })
  }

  func send(_ bytes: [UInt8]) { connection.send(bytes) }

  var closedReason: String? { closed.withLock { $0 } }

  var messages: [Message] {
    var decoder = FrameDecoder()
    decoder.feed(received.withLock { $0 })
    var out: [Message] = []
    while let frame = try? decoder.next(), let m = try? Message(frame: frame) { out.append(m) }
    return out
  }

  var sawGoodbye: Bool {
    messages.contains {
      if case .goodbye = $0 { return true }
      return false
    }
  }

  func waitForHelloReply(seconds: Double = 15) -> Bool {
    let deadline = DispatchTime.now() + seconds
    while true {
      let ok = messages.contains {
        if case .helloReply(let r) = $0 { return r.status == .success }
        return false
      }
      if ok { return true }
      if closedReason != nil || arrival.wait(timeout: deadline) == .timedOut { return false }
    }
  }

  func waitClosed(seconds: Double) -> Bool {
    let deadline = DispatchTime.now() + seconds
    while closedReason == nil {
      if arrival.wait(timeout: deadline) == .timedOut { return closedReason != nil }
    }
    return true
  }
}
