import Foundation
import KDClient
import KDProtocol

/// Scenario 9: guest faults are the guest's.
///
/// Part A, absurd sleeps: a kdserver (`--pace 1`, so virtual time is paced against the wall clock, the
/// `VirtualClock.wallNanos(until:)` path that trapped) runs a scenario made here whose Faulty.sys threads call
/// `KeDelayExecutionThread` with a relative interval of -0x7FFFFFFFFFFFFFFF and an absolute one of
/// 0x7FFFFFFFFFFFFFFF (`FaultyBadCall` 1 and 2). The target must run on (`.runfor 3` ends in a break-in, not a bug
/// check), list both threads, survive `.reboot` and run again. `--pace inf`, `1e30`, `nan` and `-1` must be refused at
/// start (non-zero exit below 128).
///
/// Part B, random driver code: a kdserver on `faultNullWrite` (`--pace 1`: its thread calls Faulty!FaultyTouch 100 ms
/// after boot). For each buffer (the KDKernelFuzz seeds, two `ff /3`/`ff /5` register forms, then random buffers of
/// 1-64 bytes): `.reboot` (the protocol's Reboot), `.runfor 0` (a break-in before the thread's call: a stop that is
/// not a break-in means the thread got there first, and the buffer is tried again), the bytes written over
/// FaultyTouch with WriteVirtualMemory, then `.runfor 1` (`g`, with a break-in after 1 s for code that returns or
/// spins). Every outcome must be a stop kd renders: a bug check with KD's `*** Fatal System Error` banner, another
/// break (int 3, single step), or the break-in of a normal run. A kdserver that dies is a FAIL naming the bytes (a
/// fresh one is started for the rest).
func scenario9(kdserver: String, binDir: String, buffers: Int) {
  say("scenario 9: guest faults: absurd KeDelayExecutionThread intervals; \(buffers) buffers over Faulty!FaultyTouch")
  scenario9Sleep(kdserver: kdserver, binDir: binDir)
  scenario9Code(kdserver: kdserver, buffers: buffers)
}

private func scenario9Sleep(kdserver: String, binDir: String) {
  var refusedPaces: [String] = []
  for pace in ["inf", "1e30", "nan", "-1"] {
    let r = probeStart(
      kdserver, ["--listen", "127.0.0.1:0", "--state-dir", temporaryDirectory("pace"), "--pace", pace])
    tally.check(r.refusedCleanly, "scenario 9: --pace \(pace): not refused cleanly: \(r.summary)")
    tally.check(r.stderr.contains("--pace"), "scenario 9: --pace \(pace): the message does not say --pace: \(r.stderr)")
    refusedPaces.append("\(pace) -> exit \(r.exitStatus.map(String.init) ?? "none")")
  }

  // The scenario: Faulty.sys from the bundle beside the suite, two threads sleeping past the end of time.
  let dir = temporaryDirectory("sleepers")
  let bundle = binDir + "/swift-kd_KDKernel.resources/Scenarios/faults"
  for file in ["Faulty.sys", "Faulty.pdb", "Faulty.c"] {
    try? FileManager.default.copyItem(atPath: bundle + "/" + file, toPath: dir + "/" + file)
  }
  let manifest = dir + "/scenario.json"
  writeFile(
    manifest,
    """
    {"name": "sleepers", "description": "reliability scenario 9: KeDelayExecutionThread past the end of time",
     "seed": 1, "modules": [{"name": "Faulty", "image": "Faulty.sys", "source": "Faulty.c"}],
     "threads": [{"module": "Faulty", "routine": "FaultyBadCall", "context": 1},
                 {"module": "Faulty", "routine": "FaultyBadCall", "context": 2}]}
    """, mode: 0o644)
  let server: ServerChild
  do {
    server = try ServerChild(kdserver, extra: ["--scenario", manifest, "--pace", "1"])
  } catch {
    tally.check(false, "scenario 9: cannot start kdserver on the sleepers scenario: \(error)")
    return
  }
  defer { server.stop() }
  var outcome: [String] = []
  do {
    let controller = try server.connectController()
    let debugger = Debugger(target: RemoteTarget(connection: controller))
    for round in ["first boot", "after .reboot"] {
      if round != "first boot" {
        let reboot = debugger.run(".reboot")
        tally.check(reboot.allSatisfy(\.succeeded), "scenario 9: .reboot of the sleepers: \(reboot.map(\.lines))")
      }
      let run = debugger.run(".runfor 3")
      let kind = run.last?.event?.kind
      tally.check(
        kind == .breakIn,
        "scenario 9: sleepers \(round): .runfor 3 ended in \(kind.map { "\($0)" } ?? "nothing"): "
          + "\(run.flatMap(\.lines).prefix(6))")
      let threads = try controller.request(.listThreads(ListThreads(maxEntries: 64)))
      var count = 0
      if case .listThreads(let list) = threads.body { count = list.threads.count }
      tally.check(threads.status == .success && count >= 2, "scenario 9: sleepers \(round): \(count) threads listed")
      outcome.append("\(round): .runfor 3 -> \(kind.map { "\($0)" } ?? "none"), \(count) threads")
    }
    controller.detach()
  } catch {
    tally.check(false, "scenario 9: sleepers: \(error)")
  }
  tally.check(server.child.isRunning, "scenario 9: the sleepers' kdserver died")
  say(
    "scenario 9: --pace " + refusedPaces.joined(separator: ", ") + "; sleepers (--pace 1): "
      + outcome.joined(separator: "; ") + "; kdserver \(server.child.isRunning ? "up" : "DEAD")")
}

/// The KDKernelFuzz seeds, the register forms of `ff /3` and `ff /5` (call/jmp far through a register), then random.
private func scenario9Buffer(_ index: Int, random: inout SystemRandomNumberGenerator) -> [UInt8] {
  let fixed: [[UInt8]] = [
    [0xc3], [0x31, 0xc0, 0x8b, 0x00], [0xcc, 0xc3], [0xeb, 0xfe], [0xb8, 0xff, 0xff, 0x00, 0x00, 0xcd, 0x2e, 0xc3],
    [0xb8, 0x03, 0x00, 0x00, 0x00, 0xcd, 0x2e, 0xc3],
    [0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0xc3],
    [0x0f, 0x0b], [0xf4], [0xcd, 0x80], [0x31, 0xc9, 0xf7, 0xf1], [0x50, 0xeb, 0xfd],
    [0xff, 0xd8, 0xc3], [0xff, 0xe8, 0xc3],
  ]
  if index < fixed.count { return fixed[index] }
  return (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
}

private func scenario9Code(kdserver: String, buffers: Int) {
  var random = SystemRandomNumberGenerator()
  var outcomes: [String: Int] = [:]
  var raced = 0
  var deaths: [String] = []
  var banners = 0
  var bugChecks = 0
  var index = 0
  let started = ContinuousClock.now
  var restarts = 0
  server: while index < buffers && restarts < 5 {
    let server: ServerChild
    do {
      server = try ServerChild(kdserver, extra: ["--scenario", "faultNullWrite", "--pace", "1"])
    } catch {
      tally.check(false, "scenario 9: cannot start kdserver on faultNullWrite: \(error)")
      return
    }
    defer { server.stop() }
    let controller: RemoteConnection
    let touch: UInt64
    do {
      controller = try server.connectController()
      touch = try faultyTouchAddress(controller)
    } catch {
      tally.check(false, "scenario 9: faultNullWrite: \(error)")
      return
    }
    let debugger = Debugger(target: RemoteTarget(connection: controller))
    while index < buffers {
      let bytes = scenario9Buffer(index, random: &random)
      let hexBytes = bytes.map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
      var attempt = 0
      var settled = false
      /// A dead kdserver: a FAIL naming the bytes; the rest goes to a fresh one.
      func died(_ phase: String, _ bytes: String) -> Bool {
        // Called when a command failed: give a dying kdserver 2 s to be gone.
        for _ in 0..<20 where server.child.isRunning { usleep(100_000) }
        guard !server.child.isRunning else { return false }
        deaths.append(bytes)
        let status = server.child.process.terminationStatus
        // The crash report, not the log lines before it.
        let last = server.log.filter { !$0.hasPrefix("20") && !$0.isEmpty }.prefix(2).map { String($0.prefix(300)) }
        tally.check(
          false, "scenario 9: kdserver died (status \(status)) \(phase) bytes \(bytes); its stderr: \(last)")
        index += 1
        restarts += 1
        return true
      }
      while !settled {
        attempt += 1
        let reboot = debugger.run(".reboot")
        let halt = debugger.run(".runfor 0")
        guard reboot.allSatisfy(\.succeeded), let first = halt.last?.event else {
          if died("rebooting after", hexBytes) { continue server }
          tally.check(false, "scenario 9: .reboot/.runfor 0 failed: \((reboot + halt).flatMap(\.lines).prefix(4))")
          break
        }
        if first.kind != .breakIn && attempt < 4 {
          raced += 1
          continue
        }
        tally.check(first.kind == .breakIn, "scenario 9: the thread beat the break-in 4 times (bytes \(hexBytes))")
        do {
          let wrote = try controller.request(.writeVirtualMemory(WriteVirtualMemory(address: touch, data: bytes)))
          tally.check(wrote.status == .success, "scenario 9: writing \(hexBytes): \(wrote.status)")
        } catch {
          tally.check(false, "scenario 9: writing \(hexBytes): \(error)")
        }
        let run = debugger.run(".runfor 1")
        guard let result = run.last, let event = result.event else {
          if died("running", hexBytes) { continue server }
          tally.check(false, "scenario 9: .runfor 1 after \(hexBytes) gave no stop: \(run.flatMap(\.lines).prefix(4))")
          settled = true
          break
        }
        switch event.kind {
        case .bugCheck:
          bugChecks += 1
          let code = "0x" + String(event.exceptionCode, radix: 16, uppercase: true).leftPadded(8)
          outcomes["bug check \(code)", default: 0] += 1
          let banner = result.lines.contains { $0.hasPrefix("*** Fatal System Error: \(code.lowercased())") }
          if banner { banners += 1 }
          tally.check(
            banner, "scenario 9: bug check \(code) after \(hexBytes) without KD's banner: \(result.lines.prefix(3))")
        case .breakIn: outcomes["normal run (break-in after 1 s)", default: 0] += 1
        case .exception:
          outcomes["exception " + String(event.exceptionCode, radix: 16).leftPadded(8), default: 0] += 1
        case .singleStep: outcomes["single step", default: 0] += 1
        case .breakpoint: outcomes["breakpoint", default: 0] += 1
        case .dataBreakpoint: outcomes["data breakpoint", default: 0] += 1
        }
        settled = true
      }
      index += 1
    }
    tally.check(server.child.isRunning, "scenario 9: faultNullWrite kdserver not running at the end")
    controller.detach()
  }
  tally.check(deaths.isEmpty, "scenario 9: \(deaths.count) buffers killed kdserver: \(deaths.prefix(5))")
  let elapsed = seconds(since: started)
  let table = outcomes.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
  say(
    "scenario 9: \(index) buffers in \(String(format: "%.1f", elapsed)) s (\(String(format: "%.1f", Double(index) / elapsed))/s), "
      + "\(raced) re-tried (the thread beat the break-in); outcomes: \(table); \(banners)/\(bugChecks) bug checks with "
      + "KD's banner; kdserver deaths \(deaths.count)\(deaths.isEmpty ? "" : " (bytes: \(deaths.prefix(3)))")")
}

/// Faulty!FaultyTouch, from the module list and the module's symbols.
func faultyTouchAddress(_ connection: RemoteConnection) throws -> UInt64 {
  let modules = try connection.request(.listModules(ListModules(maxEntries: 256)))
  guard case .listModules(let list) = modules.body,
    let faulty = list.modules.first(where: { $0.name.hasPrefix("Faulty") })
  else { throw SuiteError("no Faulty module in \(modules.body)") }
  let symbols = try connection.request(.getSymbols(GetSymbols(moduleBase: UInt64(faulty.base), maxEntries: 1000)))
  guard case .getSymbols(let s) = symbols.body, let touch = s.symbols.first(where: { $0.name == "FaultyTouch" }) else {
    throw SuiteError("no FaultyTouch in Faulty's symbols")
  }
  return UInt64(touch.address)
}
