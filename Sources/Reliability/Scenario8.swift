import Dispatch
import Foundation
import KDClient
import KDProtocol

/// Scenario 8: an edge-value sweep over every ApiNumber. Requests built from the protocol's message types carry
/// edge values in every field (0, 1, 0x7fffffff, 0xffffffff, 0xffffffff_ffffffff; address 0; SearchMemory from 0
/// over 4 GiB and over 2^64-1 bytes; huge counts; empty payloads and payloads of the negotiated maximum), plus
/// ApiNumbers nobody knows. The sweep is sent by an observer and by the controller, each against a halted and a
/// running target. Only requests that the protocol's own decoder accepts and that fit the negotiated payload are
/// sent (a malformed payload is a disconnect by design: scenario 3 covers those). Checks: every request gets a
/// reply (any status) within 120 s, no session is closed, kdserver stays up; afterwards a fresh controller finds
/// the same module list, the known word at 804daf00 unchanged and the known breakpoint still set.
///
/// Not swept, on purpose: the controller's Reboot (a reboot resets exactly the state the final check is about; the
/// observer's Reboot is swept and must be refused), and SetContext of a live thread with garbage registers (thread 0
/// gets its own context back; the edge values go to thread ids no thread has).
func scenario8(_ server: ServerChild, passes: Int) {
  say(
    "scenario 8: edge-value sweep over every ApiNumber (observer and controller, halted and running), \(passes) pass(es)"
  )
  let knownWord: UInt64 = 0x804d_af00
  let knownValue: [UInt8] = [0x08, 0x00, 0xed, 0x5e]
  let controller: RemoteConnection
  let observer: RemoteConnection
  var knownHandle: UInt32 = 0
  var dummyHandles: [UInt32] = []
  let modulesBefore: [ModuleEntry]
  var threadIds: Set<UInt32> = []
  var ntBase: UInt64 = 0
  var context0 = KDProtocol.X86Context()
  let knownBreakpoint: UInt64
  do {
    controller = try server.connectController()
    observer = try server.connect(controller: false)
    try breakIn(controller)
    modulesBefore = try moduleList(controller)
    ntBase = UInt64(modulesBefore.first { $0.name.hasPrefix("nt") }?.base ?? 0)
    // nt!KeBugCheckEx: never executed by the default scenario, so it never stops the running phases.
    knownBreakpoint = try symbolAddress(controller, moduleBase: ntBase, "KeBugCheckEx")
    let spare = try symbolAddress(controller, moduleBase: ntBase, "KeBugCheck")
    let spare2 = try symbolAddress(controller, moduleBase: ntBase, "DbgBreakPointWithStatus")
    // Two spare breakpoints first, so the known one's handle is less likely an edge value.
    for address in [spare, spare2, knownBreakpoint] {
      let r = try controller.request(.writeBreakPoint(WriteBreakPoint(address: address)))
      guard r.status == .success, case .writeBreakPoint(let w) = r.body else { throw SuiteError("bp: \(r.status)") }
      if address == knownBreakpoint { knownHandle = w.handle } else { dummyHandles.append(w.handle) }
    }
    let wrote = try controller.request(.writeVirtualMemory(WriteVirtualMemory(address: knownWord, data: knownValue)))
    guard wrote.status == .success else { throw SuiteError("ed 804daf00: \(wrote.status)") }
    let threads = try controller.request(.listThreads(ListThreads(maxEntries: 256)))
    if case .listThreads(let t) = threads.body { threadIds = Set(t.threads.map(\.threadId)) }
    let c = try controller.request(.getContext(GetContext(thread: 0)))
    if case .getContext(let g) = c.body, let ctx = g.context { context0 = ctx }
  } catch {
    tally.check(false, "scenario 8: setup failed: \(error)")
    return
  }

  let maxPayload = min(controller.maxPayload, observer.maxPayload)
  let all = sweepRequests(
    maxPayload: maxPayload, ntBase: ntBase, threadIds: threadIds, context0: context0, protected: Set([knownHandle]))
  let sendable = all.filter { body in
    let payload = ManipulateState(body).encoded()
    return payload.count <= maxPayload && (try? ManipulateState(decoding: payload)) != nil
  }
  let apis = Set(sendable.map { (m: Manipulate) in m.api.rawValue })
  var sent = 0
  var failures = 0
  var statuses: [String: Int] = [:]
  var slowest = (0.0, "")
  var phaseFigures: [String] = []
  var setByEdges = 0
  let sweepStart = ContinuousClock.now

  func send(_ connection: RemoteConnection, _ who: String, _ body: Manipulate) {
    let t = ContinuousClock.now
    var body = body
    if case .setContext(let set) = body, set.thread == 0, set.context != nil,
      let now = try? connection.request(.getContext(GetContext(thread: 0))), case .getContext(let got) = now.body,
      let context = got.context
    {
      // The current thread's own registers, read just now (the current thread changes while the target runs).
      body = .setContext(SetContext(thread: 0, context: context))
    }
    do {
      let reply = try connection.request(body, timeout: .seconds(120))
      statuses["\(reply.status)", default: 0] += 1
      // Breakpoints the edge values managed to set are removed again (the final check counts on it).
      if connection === controller && reply.status == .success {
        var handles: [UInt32] = []
        if case .writeBreakPoint(let w) = reply.body { handles = [w.handle] }
        if case .writeBreakPointEx(let w) = reply.body {
          handles = w.entries.filter { $0.status == .success }.map(\.handle)
        }
        for h in handles where h != knownHandle {
          setByEdges += 1
          _ = try? controller.request(.restoreBreakPoint(RestoreBreakPoint(handle: h)))
        }
      }
    } catch {
      failures += 1
      tally.check(false, "scenario 8: \(who): \(body.api) got no reply: \(error) (request \(describe(body)))")
    }
    sent += 1
    let s = seconds(since: t)
    if s > slowest.0 { slowest = (s, "\(who) \(describe(body))") }
  }

  let isResume: (Manipulate) -> Bool = { body in
    switch body {
    case .continue, .continue2: true
    default: false
    }
  }
  for pass in 0..<passes {
    for (who, connection, halted) in [
      ("observer, halted", observer, true), ("observer, running", observer, false),
      ("controller, halted", controller, true), ("controller, running", controller, false),
    ] {
      let t = ContinuousClock.now
      let before = sent
      do {
        if halted { try breakIn(controller) } else { try resume(controller) }
      } catch {
        tally.check(
          false,
          "scenario 8: \(who): cannot get the target \(halted ? "halted" : "running"): \(error); halted in "
            + "\(controller.haltedEvent.map { "\($0.detail)".prefix(300) } ?? "nothing")")
        continue
      }
      let isController = connection === controller
      for body in sendable where !(isController && halted && isResume(body)) {
        if isController, case .reboot = body { continue }
        send(connection, who, body)
      }
      if isController && halted {
        // Each resume from a halt of its own.
        for body in sendable where isResume(body) {
          try? breakIn(controller)
          send(connection, who, body)
        }
      }
      let s = seconds(since: t)
      if pass == 0 {
        phaseFigures.append("\(who) \(sent - before) in \(String(format: "%.1f", s)) s")
      }
    }
  }
  let sweepSeconds = seconds(since: sweepStart)
  tally.check(observer.closedReason == nil, "scenario 8: the observer was disconnected: \(observer.closedReason ?? "")")
  tally.check(
    controller.closedReason == nil, "scenario 8: the controller was disconnected: \(controller.closedReason ?? "")")
  tally.check(server.child.isRunning, "scenario 8: kdserver is not running after the sweep")
  tally.check(failures == 0, "scenario 8: \(failures) of \(sent) requests got no reply")
  observer.detach()
  controller.detach()

  // A fresh controller finds the target intact.
  var intact: [String] = []
  do {
    let fresh = try server.connectController()
    try breakIn(fresh)
    let modulesAfter = try moduleList(fresh)
    tally.check(modulesAfter == modulesBefore, "scenario 8: module list changed: \(modulesAfter.map(\.name))")
    if modulesAfter == modulesBefore { intact.append("\(modulesAfter.count) modules the same") }
    let read = try fresh.request(.readVirtualMemory(ReadVirtualMemory(address: knownWord, transferCount: 4)))
    var word: [UInt8] = []
    if case .readVirtualMemory(let r) = read.body { word = r.data }
    tally.check(word == knownValue, "scenario 8: the word at 804daf00 changed: \(word)")
    if word == knownValue { intact.append("804daf00 still 5eed0008") }
    let again = try fresh.request(.writeBreakPoint(WriteBreakPoint(address: knownBreakpoint)))
    tally.check(again.status != .success, "scenario 8: the known breakpoint at nt!KeBugCheckEx was gone")
    if again.status == .success, case .writeBreakPoint(let w) = again.body {
      _ = try? fresh.request(.restoreBreakPoint(RestoreBreakPoint(handle: w.handle)))
    } else {
      intact.append("breakpoint at nt!KeBugCheckEx still set (\(again.status) setting it again)")
    }
    let removed = try fresh.request(.restoreBreakPoint(RestoreBreakPoint(handle: knownHandle)))
    tally.check(removed.status == .success, "scenario 8: removing the known breakpoint: \(removed.status)")
    for h in dummyHandles { _ = try? fresh.request(.restoreBreakPoint(RestoreBreakPoint(handle: h))) }
    _ = try? resume(fresh)
    fresh.detach()
  } catch {
    tally.check(false, "scenario 8: the fresh controller: \(error)")
  }
  let table = statuses.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
  let rate = String(format: "%.0f", Double(sent) / sweepSeconds)
  let skipped = all.count - sendable.count
  var summary = "scenario 8: \(sendable.count) requests per sweep over \(apis.count) ApiNumbers (\(skipped) built "
  summary += "but not sent: undecodable or over the \(maxPayload)-byte payload); \(sent) sent in "
  summary += "\(String(format: "%.1f", sweepSeconds)) s (\(rate) requests/s), \(failures) without a reply; "
  summary += phaseFigures.joined(separator: ", ") + "; statuses: \(table); slowest "
  summary += "\(String(format: "%.2f", slowest.0)) s (\(slowest.1)); \(setByEdges) breakpoints set by edge values "
  summary += "(removed); after: " + intact.joined(separator: ", ")
  say(summary)
}

/// Every request of the sweep.
private func sweepRequests(
  maxPayload: Int, ntBase: UInt64, threadIds: Set<UInt32>, context0: KDProtocol.X86Context, protected: Set<UInt32>
) -> [Manipulate] {
  let u32: [UInt32] = [0, 1, 0x7fff_ffff, 0xffff_ffff]
  let addresses: [UInt64] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0xffff_ffff_ffff_ffff]
  let maxData = maxPayload - ManipulateState.headerSize
  var out: [Manipulate] = []
  for a in addresses {
    for n in u32 { out.append(.readVirtualMemory(ReadVirtualMemory(address: a, transferCount: n))) }
    for data in [[], [0xcc], [UInt8](repeating: 0xcc, count: maxData)] as [[UInt8]] {
      out.append(.writeVirtualMemory(WriteVirtualMemory(address: a, data: data)))
    }
    for n in u32 {
      var w = WriteVirtualMemory(address: a, data: [])
      w.transferCount = n
      w.actualBytesWritten = 0xffff_ffff
      out.append(.writeVirtualMemory(w))
    }
    for h in [0, 0xffff_ffff] as [UInt32] { out.append(.writeBreakPoint(WriteBreakPoint(address: a, handle: h))) }
    out.append(.queryMemory(QueryMemory(address: a)))
    out.append(
      .queryMemory(
        QueryMemory(
          address: a, regionBase: .max, regionSize: .max, protection: .max, kind: QueryMemory.Kind(rawValue: .max))))
    for length in [0, 1, 0xffff_ffff, 0x1_0000_0000, .max] as [UInt64] {
      out.append(.searchMemory(SearchMemory(address: a, length: length, pattern: [0x4d, 0x5a])))
    }
    for n in u32 { out.append(.readMemoryBatch(ReadMemoryBatch(ranges: [.init(address: a, length: n)]))) }
  }
  for pattern in [[], [0xff], [UInt8](repeating: 0xff, count: SearchMemory.maxPatternLength)] as [[UInt8]] {
    out.append(.searchMemory(SearchMemory(address: 0, length: 0x1_0000_0000, pattern: pattern)))
  }
  out.append(
    .readMemoryBatch(
      ReadMemoryBatch(
        ranges: (0..<ReadMemoryBatch.maxRanges).map { .init(address: addresses[$0 % addresses.count], length: .max) })))
  out.append(
    .readMemoryBatch(
      ReadMemoryBatch(
        ranges: (0..<ReadMemoryBatch.maxRanges).map { .init(address: 0x8040_0000 + UInt64($0) * 0x1000, length: .max) })
    ))
  for t in u32 {
    out.append(.getContext(GetContext(thread: t)))
    for frames in u32 { out.append(.getStackTrace(GetStackTrace(thread: t, maxFrames: frames))) }
    for (start, count) in [(0, 0), (0, 0xffff_ffff), (0xffff_ffff, 1), (0x7fff_ffff, 0x7fff_ffff)] as [(UInt32, UInt32)]
    where t == 0 {
      out.append(.listModules(ListModules(startIndex: start, maxEntries: count, totalCount: 0xffff_ffff)))
      out.append(.listThreads(ListThreads(startIndex: start, maxEntries: count, totalCount: 0xffff_ffff)))
      for base in addresses + [ntBase] {
        out.append(.getSymbols(GetSymbols(moduleBase: base, startIndex: start, maxEntries: count, totalCount: .max)))
      }
    }
    for n in u32 {
      out.append(.listModules(ListModules(startIndex: t, maxEntries: n)))
      out.append(.listThreads(ListThreads(startIndex: t, maxEntries: n)))
    }
  }
  // SetContext: thread 0 gets its own registers back; edge values only for threads that do not exist.
  out.append(.setContext(SetContext(thread: 0, context: context0)))
  out.append(.setContext(SetContext(thread: 0, context: nil)))
  for t in u32 where t != 0 && !threadIds.contains(t) {
    out.append(
      .setContext(SetContext(thread: t, context: KDProtocol.X86Context(registers: Array(repeating: .max, count: 16)))))
    out.append(.setContext(SetContext(thread: t, context: KDProtocol.X86Context())))
    out.append(.setContext(SetContext(thread: t, context: nil)))
  }
  for h in u32 where !protected.contains(h) { out.append(.restoreBreakPoint(RestoreBreakPoint(handle: h))) }
  let maxEntries = maxData / BreakPointEntry.size
  for cs in u32 {
    out.append(.writeBreakPointEx(WriteBreakPointEx(entries: [], continueStatus: cs)))
    out.append(.restoreBreakPointEx(RestoreBreakPointEx(entries: [], continueStatus: cs)))
  }
  out.append(
    .writeBreakPointEx(
      WriteBreakPointEx(
        entries: (0..<maxEntries).map {
          BreakPointEntry(
            address: addresses[$0 % addresses.count], handle: u32[$0 % 4], status: NTStatus(u32[($0 + 1) % 4]))
        }, continueStatus: .max)))
  out.append(
    .restoreBreakPointEx(
      RestoreBreakPointEx(
        entries: (0..<maxEntries).map {
          BreakPointEntry(
            address: addresses[$0 % addresses.count], handle: protected.contains(u32[$0 % 4]) ? 0 : u32[$0 % 4])
        }, continueStatus: .max)))
  out.append(.getVersion(GetVersion()))
  out.append(.reboot(Reboot()))
  for cs in u32 + [0x0001_0001, 0x8001_0001] {
    out.append(.continue(Continue(continueStatus: cs)))
    for step in [false, true] {
      out.append(
        .continue2(
          Continue2(continueStatus: cs, singleStep: step, dr7: .max, currentSymbolStart: .max, currentSymbolEnd: 0)))
    }
  }
  // ApiNumbers nobody knows: empty, and a full union and data.
  for api in [0, 1, 0x3137, 0x3161, 0x3175, 0x7fff_ffff, 0xffff_ffff] as [UInt32] {
    out.append(.unknown(api: ApiNumber(rawValue: api), union: [], data: []))
    out.append(
      .unknown(
        api: ApiNumber(rawValue: api), union: [UInt8](repeating: 0xff, count: ManipulateState.unionSize),
        data: [UInt8](repeating: 0xff, count: maxData)))
  }
  return out
}

private func describe(_ body: Manipulate) -> String {
  let text = "\(body)"
  return text.count > 160 ? String(text.prefix(160)) + "..." : text
}

/// Halts the target (break-in) unless it is halted; waits for the break event.
private func breakIn(_ connection: RemoteConnection) throws {
  if connection.haltedEvent != nil { return }
  connection.sendBreakIn()
  let deadline = Date().addingTimeInterval(15)
  while Date() < deadline {
    if connection.haltedEvent != nil { return }
    if let event = connection.nextEvent(timeout: .seconds(1)), case .exception = event.detail { return }
  }
  throw SuiteError("no break within 15 s of the break-in")
}

/// Lets a halted target run.
private func resume(_ connection: RemoteConnection) throws {
  guard connection.haltedEvent != nil else { return }
  let r = try connection.request(.continue2(Continue2(singleStep: false)))
  guard r.status == .success else { throw SuiteError("continue: \(r.status)") }
  // The running event clears haltedEvent.
  let deadline = Date().addingTimeInterval(5)
  while connection.haltedEvent != nil && Date() < deadline { usleep(10_000) }
  connection.discardEvents()
}

private func moduleList(_ connection: RemoteConnection) throws -> [ModuleEntry] {
  let r = try connection.request(.listModules(ListModules(maxEntries: 256)))
  guard case .listModules(let list) = r.body else { throw SuiteError("listModules: \(r.status)") }
  return list.modules
}

private func symbolAddress(_ connection: RemoteConnection, moduleBase: UInt64, _ name: String) throws -> UInt64 {
  var start: UInt32 = 0
  while true {
    let r = try connection.request(.getSymbols(GetSymbols(moduleBase: moduleBase, startIndex: start, maxEntries: 4096)))
    guard case .getSymbols(let s) = r.body, !s.symbols.isEmpty else { break }
    if let symbol = s.symbols.first(where: { $0.name == name }) { return UInt64(symbol.address) }
    start += UInt32(s.symbols.count)
    if start >= s.totalCount { break }
  }
  throw SuiteError("no symbol \(name) at \(hex(UInt32(truncatingIfNeeded: moduleBase)))")
}
