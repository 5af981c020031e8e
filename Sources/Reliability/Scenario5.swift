import Foundation
import KDClient
import KDProtocol

/// Scenario 5: a flood of clients that pipeline without reading. `connections` raw TLS clients each send `reads`
/// 4-byte reads and never read. The server must stay up with bounded memory (VmRSS peak <= before + 64 MiB),
/// keep serving a controller during the flood, and, when the flooders finally read, each finds either every
/// reply (TCP's buffers held them) or a GOODBYE saying why it was stopped (STATUS_QUOTA_EXCEEDED): never a
/// silent drop.
func scenario5(_ server: ServerChild, connections: Int, reads: Int) {
  say("scenario 5: \(connections) clients pipelining \(reads) 4-byte reads each without reading")
  let controller: RemoteConnection
  do {
    controller = try server.connectController()
  } catch {
    tally.check(false, "scenario 5: the controller could not attach: \(error)")
    return
  }
  let rssBefore = server.rssKiB ?? 0
  let sampler = RSSSampler(server)
  var flooders: [RawSession] = []
  for i in 0..<connections {
    do {
      let session = try RawSession(port: server.port, tls: server.tls, clientName: "flooder \(i)")
      guard session.wait(seconds: 20, until: { $0.helloReply != nil }), session.counts.helloReply?.status == .success
      else {
        tally.check(false, "scenario 5: flooder \(i) was not admitted: \(server.log.suffix(2))")
        continue
      }
      session.setReading(false)
      flooders.append(session)
    } catch {
      tally.check(false, "scenario 5: flooder \(i) could not connect: \(error)")
    }
  }
  let start = ContinuousClock.now
  for session in flooders {
    for _ in 0..<reads { session.read(0x804d_7000, count: 4) }
  }
  // The controller works while the flood is queued on the server.
  var controllerFailures = 0
  var slowest = 0.0
  for _ in 0..<50 {
    let t = ContinuousClock.now
    do {
      _ = try controller.request(.readVirtualMemory(ReadVirtualMemory(address: 0x804d_7000, transferCount: 4)))
    } catch {
      controllerFailures += 1
    }
    slowest = max(slowest, seconds(since: t))
    usleep(100_000)
  }
  let floodSeconds = seconds(since: start)
  let peak = sampler.stop()
  // Now the flooders read: each finds all its replies (TCP held them), or the server's reason for stopping.
  for session in flooders { session.setReading(true) }
  let lookStart = ContinuousClock.now
  for session in flooders {
    _ = session.wait(seconds: max(1, 60 - seconds(since: lookStart))) {
      $0.replies >= reads || $0.goodbye != nil || $0.closed
    }
  }
  let goodbyes = flooders.filter { $0.counts.goodbye?.status == .quotaExceeded }.count
  let complete = flooders.filter { $0.counts.replies >= reads }.count
  let silentlyDropped = flooders.filter { $0.counts.closed && $0.counts.goodbye == nil && $0.counts.replies < reads }
  let served = flooders.map(\.counts.replies).reduce(0, +)
  for session in flooders { session.close() }
  tally.check(server.rssKiB != nil, "scenario 5: kdserver is gone")
  tally.check(controllerFailures == 0, "scenario 5: \(controllerFailures) of 50 controller reads failed")
  tally.check(controller.closedReason == nil, "scenario 5: the controller was disconnected")
  tally.check(
    peak <= rssBefore + 64 * 1024, "scenario 5: VmRSS peaked at \(peak / 1024) MiB from \(rssBefore / 1024) MiB")
  tally.check(
    goodbyes + complete == flooders.count,
    "scenario 5: \(flooders.count - goodbyes - complete) flooders got neither all replies nor a GOODBYE")
  tally.check(silentlyDropped.isEmpty, "scenario 5: \(silentlyDropped.count) flooders were dropped without GOODBYE")
  controller.detach()
  say(
    "scenario 5: \(flooders.count) flooders x \(reads) reads; \(served) replies delivered once they read, "
      + "\(complete) flooders got every reply, \(goodbyes) a GOODBYE (over the window); controller: 50 reads during the flood, slowest "
      + "\(String(format: "%.1f", slowest * 1000)) ms; kdserver VmRSS \(rssBefore / 1024) MiB before, peak "
      + "\(peak / 1024) MiB over \(String(format: "%.1f", floodSeconds)) s")
}
