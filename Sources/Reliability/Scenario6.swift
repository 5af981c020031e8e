import Dispatch
import Foundation
import KDClient
import KDProtocol
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Scenario 6: connections that hold slots. `held` TCP connections from 125 loopback sources (127.0.0.2 up;
/// 8 each, the per-source limit) that never finish a TLS handshake, half of them idle and half sending one byte
/// per second, each reopened as soon as the server closes it, for `duration` seconds. Meanwhile a legitimate
/// client attaches from 127.0.0.1 every 250 ms (TLS, hello, GetVersion, detach): every attempt must succeed on
/// the first try. The refusals must be logged as summaries, not one line per connect.
func scenario6(_ server: ServerChild, held: Int, duration: Double) {
  say("scenario 6: \(held) slot-holding connections recycled for \(Int(duration)) s against a legitimate client")
  let stop = Atomic<Bool>(false)
  let opened = Atomic<Int>(0)
  let linesBefore = server.log.count
  let holderDone = DispatchSemaphore(value: 0)
  let holder = Thread {
    defer { holderDone.signal() }
    var sockets: [Int32] = Array(repeating: -1, count: held)
    var lastDrip = ContinuousClock.now
    while !stop.load(ordering: .relaxed) {
      for i in sockets.indices where sockets[i] < 0 {
        sockets[i] = openHolder(port: server.port, source: UInt8(2 + (i / 8) % 125))
        if sockets[i] >= 0 { opened.add(1, ordering: .relaxed) }
      }
      var fds = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      _ = poll(&fds, nfds_t(fds.count), 100)
      for (i, entry) in fds.enumerated() where entry.fd >= 0 && entry.revents != 0 {
        var buffer = [UInt8](repeating: 0, count: 512)
        if read(entry.fd, &buffer, buffer.count) <= 0 {
          close(entry.fd)
          sockets[i] = -1
        }
      }
      if seconds(since: lastDrip) >= 1 {
        lastDrip = ContinuousClock.now
        var byte: UInt8 = 0x16
        for i in sockets.indices where i % 2 == 1 && sockets[i] >= 0 {
          _ = send(sockets[i], &byte, 1, Int32(MSG_NOSIGNAL))
        }
      }
    }
    for fd in sockets where fd >= 0 { close(fd) }
  }
  holder.start()
  usleep(1_000_000)  // let the pool fill
  var attempts = 0
  var failures: [String] = []
  var slowest = 0.0
  let start = ContinuousClock.now
  while seconds(since: start) < duration {
    attempts += 1
    let t = ContinuousClock.now
    do {
      let client = try server.connect(controller: false)
      _ = try client.request(.getVersion(GetVersion()))
      client.detach()
    } catch {
      failures.append("\(error)")
    }
    slowest = max(slowest, seconds(since: t))
    usleep(250_000)
  }
  stop.store(true, ordering: .relaxed)
  holderDone.wait()
  usleep(1_500_000)  // the last summary interval (kdserver runs with --refusal-log-seconds 1)
  let lines = server.log.dropFirst(linesBefore)
  let refusalLines = lines.filter { $0.contains("refused connection") || $0.contains("more connections") }
  let summarized = lines.compactMap { line -> Int? in
    guard let r = line.range(of: "refused "), line.contains("more connections") else { return nil }
    return Int(line[r.upperBound...].prefix(while: \.isNumber))
  }.reduce(0, +)
  tally.check(failures.isEmpty, "scenario 6: \(failures.count) of \(attempts) attaches failed: \(failures.prefix(3))")
  tally.check(
    refusalLines.count < max(20, opened.load(ordering: .relaxed) / 10),
    "scenario 6: \(refusalLines.count) refusal lines for \(opened.load(ordering: .relaxed)) connects")
  say(
    "scenario 6: \(opened.load(ordering: .relaxed)) holder connects; legitimate client \(attempts - failures.count) of "
      + "\(attempts) attaches on the first try, slowest \(String(format: "%.0f", slowest * 1000)) ms; "
      + "\(refusalLines.count) refusal log lines (summaries counting \(summarized) more)")
}

/// A non-blocking TCP connection from 127.0.0.`source` to the server; -1 if it cannot be opened.
private func openHolder(port: UInt16, source: UInt8) -> Int32 {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return -1 }
  _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
  var local = sockaddr_in()
  local.sin_family = sa_family_t(AF_INET)
  local.sin_addr.s_addr = (UInt32(127) | UInt32(source) << 24).littleEndian
  var remote = sockaddr_in()
  remote.sin_family = sa_family_t(AF_INET)
  remote.sin_port = port.bigEndian
  remote.sin_addr.s_addr = UInt32(0x0100_007F).littleEndian
  let bound = withUnsafePointer(to: &local) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  }
  guard bound == 0 else {
    close(fd)
    return -1
  }
  let result = withUnsafePointer(to: &remote) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  }
  if result != 0 && errno != EINPROGRESS {
    close(fd)
    return -1
  }
  return fd
}
