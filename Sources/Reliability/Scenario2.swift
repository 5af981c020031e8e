import Dispatch
import Foundation
import KDClient
import KDProtocol
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Scenario 2: one controller and `observers` observers (in-process `RemoteConnection`s, each its own TLS
/// connection) attached to a kdserver child through a burst of `breaks` breaks: PoolHitTag armed on the hot tag
/// `Abc `, the controller continues `breaks` times. Every observer must receive every break event, in order: its
/// sequence of (pc, thread) equals the controller's. The kdserver's VmRSS is sampled every 50 ms during the burst;
/// the rule: max <= 2 x (VmRSS after attach) + 64 MiB.
func scenario2(_ server: ServerChild, breaks: Int, observers observerCount: Int) {
  say("scenario 2: 1 controller + \(observerCount) observers through \(breaks) breaks")
  let controller: RemoteConnection
  var observers: [RemoteConnection] = []
  do {
    controller = try server.connectController()
    for _ in 0..<observerCount { observers.append(try server.connect(controller: false)) }
  } catch {
    tally.check(false, "scenario 2: attach failed: \(error)")
    return
  }
  tally.check(controller.isController, "scenario 2: the first session is not the controller")
  tally.check(
    observers.allSatisfy { !$0.isController }, "scenario 2: an observer session was given the controller role")
  usleep(300_000)
  let rssAfterAttach = server.rssKiB ?? 0

  // Each observer drains its events on a thread of its own, keeping (pc, thread) of every break.
  let expected = breaks + 1  // the break-in, then one per continue
  let received = (0..<observerCount).map { _ in KeySink() }
  let finished = DispatchGroup()
  for (index, observer) in observers.enumerated() {
    finished.enter()
    let sink = received[index]
    let thread = Thread {
      var keys: [UInt64] = []
      keys.reserveCapacity(expected)
      while keys.count < expected, let event = observer.nextEvent(timeout: .seconds(60)) {
        if case .exception = event.detail { keys.append(eventKey(event)) }
      }
      sink.keys.withLock { $0 = keys }
      finished.leave()
    }
    thread.stackSize = 256 << 10
    thread.start()
  }

  // RSS sampler.
  let sampling = Atomic<Bool>(true)
  let samples = Mutex<[Int]>([])
  let sampler = Thread {
    while sampling.load(ordering: .relaxed) {
      if let rss = server.rssKiB { samples.withLock { $0.append(rss) } }
      usleep(50_000)
    }
  }
  sampler.start()

  // The burst.
  let burstStart = ContinuousClock.now
  var controllerKeys: [UInt64] = []
  var failure: String?
  controller.sendBreakIn()
  if let event = nextBreak(controller) {
    controllerKeys.append(eventKey(event))
  } else {
    failure = "no break after the break-in"
  }
  if failure == nil {
    // Through the debugger engine, so nt!PoolHitTag is resolved as kd resolves it.
    let arm = Debugger(target: RemoteTarget(connection: controller)).run("ed nt!PoolHitTag 20636241")
    if let bad = arm.first(where: { !$0.succeeded }) { failure = "arming PoolHitTag: \(bad.error ?? "")" }
  }
  var index = 0
  while failure == nil && index < breaks {
    do {
      let reply = try controller.request(.continue2(Continue2(singleStep: false)))
      guard reply.status == .success else {
        failure = "continue \(index): \(reply.status)"
        break
      }
    } catch {
      failure = "continue \(index): \(error)"
      break
    }
    guard let event = nextBreak(controller) else {
      failure = "continue \(index): no break within 10 s"
      break
    }
    controllerKeys.append(eventKey(event))
    index += 1
  }
  let burstSeconds = seconds(since: burstStart)
  tally.check(failure == nil, "scenario 2: controller: \(failure ?? "")")
  let waited = finished.wait(timeout: .now() + 90)
  sampling.store(false, ordering: .relaxed)
  tally.check(waited == .success, "scenario 2: observers still waiting for events 90 s after the burst")
  let drainSeconds = seconds(since: burstStart)

  // Compare.
  var complete = 0
  for (i, sink) in received.enumerated() {
    let keys = sink.keys.withLock { $0 }
    if keys == controllerKeys {
      complete += 1
      continue
    }
    let firstDifference = zip(keys, controllerKeys).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    tally.check(
      false,
      "scenario 2: observer \(i) received \(keys.count) breaks, controller \(controllerKeys.count); first "
        + "difference at \(firstDifference.map(String.init) ?? "the end"); closed: "
        + "\(observers[i].closedReason ?? "no")")
  }
  tally.check(complete == observerCount, "scenario 2: \(observerCount - complete) observers missed or reordered breaks")
  tally.check(controllerKeys.count == expected, "scenario 2: controller saw \(controllerKeys.count) of \(expected)")
  let distinctPCs = Set(controllerKeys.map { $0 >> 32 }).count
  let distinctThreads = Set(controllerKeys.map { $0 & 0xffff_ffff }).count

  let rss = samples.withLock { $0 }
  let limit = 2 * rssAfterAttach + 64 * 1024
  let maxRSS = rss.max() ?? 0
  tally.check(!rss.isEmpty && maxRSS <= limit, "scenario 2: kdserver VmRSS \(maxRSS) KiB over the bound \(limit) KiB")

  // Disarm, detach everyone.
  _ = Debugger(target: RemoteTarget(connection: controller)).run("ed nt!PoolHitTag 0")
  for observer in observers { observer.detach() }
  controller.detach()
  say(
    "scenario 2: \(controllerKeys.count) breaks (\(distinctPCs) distinct pcs, \(distinctThreads) threads) in "
      + "\(String(format: "%.1f", burstSeconds)) s (\(String(format: "%.0f", Double(controllerKeys.count) / burstSeconds)) "
      + "breaks/s at the controller; all observers done after \(String(format: "%.1f", drainSeconds)) s); "
      + "\(complete)/\(observerCount) observers got the identical sequence; kdserver VmRSS after attach "
      + "\(rssAfterAttach / 1024) MiB, during the burst min \((rss.min() ?? 0) / 1024) MiB max \(maxRSS / 1024) MiB "
      + "(\(rss.count) samples; bound \(limit / 1024) MiB)")
}

/// The next break (exception) event, skipping `running` and others; nil after 10 s.
private func nextBreak(_ connection: RemoteConnection) -> StateChange? {
  while let event = connection.nextEvent(timeout: .seconds(10)) {
    if case .exception = event.detail { return event }
  }
  return nil
}

/// (pc, thread) in one word: pc in the high half.
private func eventKey(_ event: StateChange) -> UInt64 {
  (event.programCounter & 0xffff_ffff) << 32 | (event.thread & 0xffff_ffff)
}

/// One observer's (pc, thread) keys, filled by its thread.
private final class KeySink: Sendable {
  let keys = Mutex<[UInt64]>([])
}
