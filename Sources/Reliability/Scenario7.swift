import Dispatch
import Foundation
import KDClient
import KDProtocol
import Synchronization

/// Scenario 7: observers searching the whole address space do not stop the target. The default scenario's
/// allocation rate (allocations counted in nt's pool tracking table) is measured for `window` seconds unloaded,
/// then again while `observers` observers each keep 4 full-space searches in flight (start 0, length 4 GiB, a
/// pattern that is never found); meanwhile a controller does 4-byte reads. The rule: the loaded rate is at least
/// 80% of the unloaded one, and the controller's read stays under 5 ms at the 99th percentile.
func scenario7(_ server: ServerChild, observers observerCount: Int, window: Double) {
  say("scenario 7: \(observerCount) observers pipelining full-space searches; the target's allocation rate")
  let controller: RemoteConnection
  do {
    controller = try server.connectController()
  } catch {
    tally.check(false, "scenario 7: the controller could not attach: \(error)")
    return
  }
  func allocations() -> UInt64? {
    func word(_ address: UInt32) -> UInt32? {
      guard
        let reply = try? controller.request(
          .readVirtualMemory(ReadVirtualMemory(address: UInt64(address), transferCount: 4))),
        case .readVirtualMemory(let r) = reply.body, r.data.count == 4
      else { return nil }
      return r.data.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }
    guard let table = word(0x804d_a008), let entries = word(0x804d_a00c) else { return nil }
    let bytes = Int(min(entries, 4096)) * 28
    var total: UInt64 = 0
    var offset = 0
    while offset < bytes {
      let count = min(bytes - offset, 32 << 10)
      guard
        let reply = try? controller.request(
          .readVirtualMemory(ReadVirtualMemory(address: UInt64(table) + UInt64(offset), transferCount: UInt32(count)))),
        case .readVirtualMemory(let r) = reply.body
      else { return nil }
      let data = r.data
      var i = 0
      while i + 28 <= data.count {
        let nonPaged = data[i + 4..<i + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let paged = data[i + 16..<i + 20].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        total += UInt64(nonPaged) + UInt64(paged)
        i += 28
      }
      offset += count
    }
    return total
  }
  func rate(over duration: Double) -> Double? {
    guard let before = allocations() else { return nil }
    let start = ContinuousClock.now
    usleep(UInt32(duration * 1_000_000))
    guard let after = allocations() else { return nil }
    return Double(after &- before) / seconds(since: start)
  }
  guard let unloaded = rate(over: window) else {
    tally.check(false, "scenario 7: cannot read the pool tracking table")
    return
  }
  // The load: each observer keeps 4 searches in flight, a new one for each answer.
  var searchers: [RawSession] = []
  let answered = Atomic<Int>(0)
  let stop = Atomic<Bool>(false)
  for i in 0..<observerCount {
    guard let session = try? RawSession(port: server.port, tls: server.tls, clientName: "searcher \(i)"),
      session.wait(seconds: 20, until: { $0.helloReply != nil })
    else {
      tally.check(false, "scenario 7: searcher \(i) could not attach")
      continue
    }
    let pattern: [UInt8] = [0x5E, 0xA7, 0xC4, UInt8(i)]
    session.onEachReply { _ in
      answered.add(1, ordering: .relaxed)
      if !stop.load(ordering: .relaxed) { session.search(pattern: pattern) }
    }
    for _ in 0..<4 { session.search(pattern: pattern) }
    searchers.append(session)
  }
  usleep(500_000)
  // The controller's 4-byte reads run beside the rate measurement, on a thread of their own.
  let latencyBox = Mutex<[Double]>([])
  let readsDone = DispatchSemaphore(value: 0)
  let reader = Thread {
    let readStart = ContinuousClock.now
    while seconds(since: readStart) < window {
      let t = ContinuousClock.now
      _ = try? controller.request(.readVirtualMemory(ReadVirtualMemory(address: 0x804d_7000, transferCount: 4)))
      let took = seconds(since: t)
      latencyBox.withLock { $0.append(took) }
      usleep(20_000)
    }
    readsDone.signal()
  }
  reader.start()
  let loaded = rate(over: window) ?? 0
  readsDone.wait()
  var latencies = latencyBox.withLock { $0 }
  stop.store(true, ordering: .relaxed)
  let searches = answered.load(ordering: .relaxed)
  for session in searchers { session.close() }
  latencies.sort()
  let p99 = latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
  let share = unloaded > 0 ? loaded / unloaded : 0
  tally.check(searches > 0, "scenario 7: no search was answered")
  tally.check(share >= 0.8, "scenario 7: loaded allocation rate is \(Int(share * 100))% of the unloaded one")
  tally.check(p99 < 0.005, "scenario 7: controller 4-byte read p99 \(String(format: "%.1f", p99 * 1000)) ms")
  controller.detach()
  say(
    "scenario 7: allocations \(String(format: "%.0f", unloaded))/s unloaded, \(String(format: "%.0f", loaded))/s "
      + "with \(searchers.count) searching observers (\(Int(share * 100))%); \(searches) full-space searches "
      + "answered in \(Int(window)) s; controller 4-byte read p99 \(String(format: "%.2f", p99 * 1000)) ms over "
      + "\(latencies.count) reads")
}
