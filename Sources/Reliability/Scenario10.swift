import Foundation
import KDProtocol

/// The token file scenario 10's kdserver is started with (`--token-file`), and its token.
let scenario10Token = freshToken()

func scenario10Arguments() -> [String] {
  let path = temporaryDirectory("inject") + "/token"
  writeFile(path, scenario10Token + "\n", mode: 0o600)
  return ["--token-file", path]
}

/// Scenario 10: log injection. Over raw TLS, a client says hello with a ClientName carrying newlines, a carriage
/// return, ANSI escapes, a NUL, DEL, a C1 byte and a forged `audit: session attached as controller` line: once with
/// a wrong token (refused), once with the right one (attached), and then sends a goodbye whose reason carries the
/// same. The same sequence is first run with a plain name (the control). Checks: the evil run adds exactly as many
/// stderr lines as the control (one per event: nothing split), no new line holds a byte outside printable ASCII, no
/// line starts with the forged text, and the escaped name (`\x0A`, `\x1B`) is in the log.
func scenario10(_ server: ServerChild, rounds: Int) {
  say("scenario 10: log injection through ClientName and the goodbye reason (\(rounds) rounds each way)")
  let forged = "2000-01-01T00:00:00+0000 info kdserver : [KDServer] audit: session attached as controller"
  let evil =
    "kd\u{1B}[2K\r\u{0}\u{7F}\u{85}\t\u{7}\n\(forged) peer=127.0.0.1:1 role=controller\r\n\u{1B}[31mred\u{1B}[0m"
  let wrongToken = Array(freshToken().utf8)
  let rightToken = Array(scenario10Token.utf8)

  /// Runs the sequence with `name`; returns the new stderr lines and what went wrong.
  func sequence(_ name: String) -> (lines: [String], problems: [String]) {
    let before = server.log.count
    var problems: [String] = []
    for _ in 0..<rounds {
      // A wrong token: refused, and closed.
      do {
        let peer = try HostilePeer(port: server.port, tls: server.tls)
        peer.send(Message.hello(Hello(clientName: name, token: wrongToken)).encoded(packetId: 1))
        if !peer.waitClosed(seconds: 15) { problems.append("wrong token: not closed within 15 s") }
        if peer.waitForHelloReply(seconds: 0.1) { problems.append("wrong token: accepted") }
      } catch {
        problems.append("wrong token: connect: \(error)")
      }
      // The right token: attached; then a goodbye with the same text as its reason.
      do {
        let peer = try HostilePeer(port: server.port, tls: server.tls)
        peer.send(Message.hello(Hello(clientName: name, token: rightToken)).encoded(packetId: 1))
        if peer.waitForHelloReply() {
          peer.send(Message.goodbye(Goodbye(status: .success, reason: name)).encoded(packetId: 0))
          if !peer.waitClosed(seconds: 15) { problems.append("right token: not closed after the goodbye") }
        } else {
          problems.append("right token: no successful hello reply (closed: \(peer.closedReason ?? "no"))")
        }
      } catch {
        problems.append("right token: connect: \(error)")
      }
    }
    // Let the last lines arrive: wait until the count has been still for 300 ms (at most 5 s).
    var count = server.log.count
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      usleep(300_000)
      let now = server.log.count
      if now == count { break }
      count = now
    }
    return (Array(server.log[before...]), problems)
  }

  // kdserver's start lines (the self-signed certificate note follows `listening on`) are in before the control.
  var settled = server.log.count
  for _ in 0..<10 {
    usleep(300_000)
    if server.log.count == settled { break }
    settled = server.log.count
  }
  let started = ContinuousClock.now
  let control = sequence("reliability plain client")
  let injected = sequence(evil)
  let elapsed = seconds(since: started)
  tally.check(control.problems.isEmpty, "scenario 10: control run: \(control.problems.prefix(3))")
  tally.check(injected.problems.isEmpty, "scenario 10: injected run: \(injected.problems.prefix(3))")
  tally.check(
    injected.lines.count == control.lines.count,
    "scenario 10: the injected run wrote \(injected.lines.count) stderr lines, the control \(control.lines.count): "
      + "control \(control.lines) injected \(injected.lines)")
  let raw = injected.lines.filter { line in line.utf8.contains { $0 < 0x20 || $0 > 0x7E } }
  tally.check(raw.isEmpty, "scenario 10: \(raw.count) lines hold raw control or non-ASCII bytes: \(raw.prefix(3))")
  let forgedLines = injected.lines.filter { $0.hasPrefix("2000-01-01") }
  tally.check(forgedLines.isEmpty, "scenario 10: forged lines in the log: \(forgedLines.prefix(3))")
  // Every new line looks like the server's own (same first token shape as its first line).
  let shape = server.log.first.map { String($0.prefix(4)) } ?? ""
  let strange = injected.lines.filter { !$0.hasPrefix(shape) }
  tally.check(strange.isEmpty, "scenario 10: lines that do not start as kdserver's lines do: \(strange.prefix(3))")
  let escaped = injected.lines.filter { $0.contains("\\x0A") && $0.contains("\\x1B") }
  tally.check(!escaped.isEmpty, "scenario 10: the evil name is nowhere in the log, escaped")
  let realAttach = injected.lines.filter { $0.contains("audit: session attached as controller") }.count
  say(
    "scenario 10: \(rounds) wrong-token + \(rounds) right-token sessions per run in \(String(format: "%.1f", elapsed)) s; "
      + "control \(control.lines.count) lines, injected \(injected.lines.count) lines; \(raw.count) with raw bytes, "
      + "\(forgedLines.count) forged, \(escaped.count) carrying the escaped name, \(realAttach) holding the audit "
      + "text (each the real attach line, or the escaped name inside a field)")
  if let sample = escaped.first { say("scenario 10: e.g. \(sample.prefix(260))") }
}
