import Foundation
import KDProtocol
import Synchronization

/// Scenario 4: a slow reader that pipelines honestly. One raw TLS client keeps as many 16 KiB reads in flight as
/// HELLO_REPLY's window allows (a new one for each reply) for `requests` reads, while reading its input at
/// 2 MB/s. Every reply must arrive, successful, with no GOODBYE: the server slows it down, never drops it.
/// The kdserver's VmRSS is sampled throughout.
func scenario4(_ server: ServerChild, requests: Int) {
  say("scenario 4: a slow reader pipelining \(requests) x 16 KiB reads while reading at 2 MB/s")
  let rssBefore = server.rssKiB ?? 0
  let sampler = RSSSampler(server)
  let session: RawSession
  do {
    session = try RawSession(port: server.port, tls: server.tls, readRate: 2_000_000, clientName: "slow reader")
  } catch {
    tally.check(false, "scenario 4: cannot connect: \(error)")
    _ = sampler.stop()
    return
  }
  guard session.wait(seconds: 20, until: { $0.helloReply != nil }), let hello = session.counts.helloReply else {
    tally.check(false, "scenario 4: no hello reply")
    _ = sampler.stop()
    return
  }
  let window = max(1, Int(hello.window))
  let sent = Atomic<Int>(0)
  let ntBase: UInt32 = 0x804d_7000
  // One more request for each reply, up to the total: the client never has more than the window in flight.
  session.onEachReply { _ in
    if sent.add(1, ordering: .relaxed).oldValue < requests { session.read(ntBase, count: 16 << 10) }
  }
  let start = ContinuousClock.now
  for _ in 0..<min(window, requests) {
    sent.add(1, ordering: .relaxed)
    session.read(ntBase, count: 16 << 10)
  }
  let bound = Double(requests) * 16_500 / 2_000_000 * 3 + 30
  let finished = session.wait(seconds: bound) { $0.replies >= requests || $0.closed || $0.goodbye != nil }
  let elapsed = seconds(since: start)
  let peak = sampler.stop()
  let c = session.counts
  session.close()
  tally.check(finished, "scenario 4: the slow reader was not done after \(Int(bound)) s (\(c.replies) replies)")
  tally.check(
    c.goodbye == nil,
    "scenario 4: the slow reader got GOODBYE: \(c.goodbye.map { "\($0.reason) (\($0.status))" } ?? "")")
  tally.check(!c.closed || c.replies >= requests, "scenario 4: the slow reader's connection was closed")
  tally.check(c.replies == requests, "scenario 4: \(c.replies) of \(requests) replies arrived")
  tally.check(c.failedReplies == 0, "scenario 4: \(c.failedReplies) replies were not STATUS_SUCCESS")
  say(
    "scenario 4: \(c.replies) of \(requests) replies in \(String(format: "%.1f", elapsed)) s "
      + "(\(String(format: "%.2f", Double(c.bytes) / elapsed / 1e6)) MB/s read, window \(window)), "
      + "goodbye: \(c.goodbye == nil ? "none" : "yes"); kdserver VmRSS \(rssBefore / 1024) MiB before, "
      + "peak \(peak / 1024) MiB")
}
