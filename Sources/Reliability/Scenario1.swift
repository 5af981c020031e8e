import Foundation
import KDClient
import KDProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// Scenario 1: SIGKILL a `kd` child at a random point of a state-changing script; a fresh `kd` checks the state.
///
/// The script breaks in, sets a breakpoint on a hot function, writes a scratch dword, then arms PoolHitTag with an
/// unused tag (in that order), then reads for a while. After the kill every item holds its old or its new value in
/// script order (a later write never without the earlier ones); once the scratch write landed, the fresh client's
/// attach banner says halted and its `.runfor` stops on the breakpoint the killed client set (its `eip` is the
/// breakpoint's address). The harness then removes that breakpoint (in-process controller) so the next iteration
/// starts without it.
func scenario1(_ server: ServerChild, kd: String, iterations: Int) {
  say("scenario 1: SIGKILL a kd child mid-session, \(iterations) times")
  let started = ContinuousClock.now
  let connect = server.kdConnect + ["--timeout", "20"]
  let scratch: UInt32 = 0x804d_af00
  // Setup: halted, scratch and PoolHitTag zero, and where the breakpoint goes.
  let setup = runBounded(
    kd, connect + ["-c", ".runfor 0; ed \(hex(scratch)) 0; ed nt!PoolHitTag 0; dd nt!ExAllocatePoolWithTag L1"],
    bound: 30)
  guard setup.status == 0, !setup.timedOut,
    let line = setup.stdout.split(separator: "\n").last(where: { $0.hasPrefix("804") }),
    let bpAddress = UInt32(line.prefix(8), radix: 16)
  else {
    tally.check(false, "scenario 1 setup failed (status \(setup.status)): \(setup.stdout.suffix(300)) \(setup.stderr)")
    return
  }
  var previous = (scratch: UInt32(0), tag: UInt32(0))
  var kills = 0
  var scratchLanded = 0
  var breakpointHits = 0
  var verifierRetries = 0
  var leftRunning = 0
  var slowest = 0.0
  var handleFloor: UInt32 = 0
  for i in 0..<iterations {
    let value = UInt32(0x5100_0000) | UInt32(i)
    let tag = UInt32(0x7a71_3030) &+ UInt32(i)  // "00qz"+i: never allocated
    // Every third script ends by clearing its breakpoint and resuming (`bc 0; g` waits for a break that never
    // comes): killed there, the target must stay running, without the breakpoint.
    let resumes = i % 3 == 2
    let script = temporaryDirectory("script") + "/s.kd"
    writeScript(
      script,
      ".runfor 0\nbp nt!ExAllocatePoolWithTag\ned \(hex(scratch)) \(hex(value))\ned nt!PoolHitTag \(hex(tag))\n"
        + (resumes ? "bc 0\ng\n" : String(repeating: "r\nkb\n!poolused 4\nlm\n", count: 200)))
    let child: Child
    do {
      child = try Child(kd, connect + ["--script", script])
    } catch {
      tally.check(false, "iteration \(i): cannot start kd: \(error)")
      continue
    }
    // Half the kills land early (connecting, breaking in, writing), half anywhere in the script.
    usleep(UInt32.random(in: 0...(i % 2 == 0 ? 80_000 : 600_000)))
    if child.isRunning {
      child.kill9()
      kills += 1
    }
    let killed = child.wait(bound: 30)
    tally.check(!killed.timedOut, "iteration \(i): the scripted kd did not exit within 30 s")
    // A fresh client: its attach banner says halted or not; the reads give the items; `.runfor` shows whether
    // the breakpoint is still in the kernel (it stops there at once) or not (a break-in 0.3 s later).
    let verifyStart = ContinuousClock.now
    let commands = "dd \(hex(scratch)) L1; dd nt!PoolHitTag L1; .runfor 0.3; r eip"
    var verify = runBounded(kd, connect + ["-c", commands], bound: 30)
    // The killed controller may not be removed yet (status 69: turned away as a second controller).
    for _ in 0..<50 where verify.status == 69 && !verify.timedOut {
      verifierRetries += 1
      usleep(100_000)
      verify = runBounded(kd, connect + ["-c", commands], bound: 30)
    }
    slowest = max(slowest, seconds(since: verifyStart))
    tally.check(!verify.timedOut, "iteration \(i): the verifying kd did not exit within 30 s")
    let words = [
      dwordAfter("dd \(hex(scratch)) L1", in: verify.stdout), dwordAfter("dd nt!PoolHitTag L1", in: verify.stdout),
    ].compactMap { $0 }
    let eip = verify.stdout.split(separator: "\n").first { $0.hasPrefix("eip=") }
      .flatMap { UInt32($0.dropFirst(4), radix: 16) }
    guard verify.status == 0, words.count == 2, let eip else {
      tally.check(
        false,
        "iteration \(i): verifier failed (status \(verify.status)): \(verify.stdout.suffix(300)) \(verify.stderr)")
      continue
    }
    let (s, t) = (words[0], words[1])
    // The attach banner is what kd printed before its first prompt; the `.runfor` stop is what followed it.
    let banner = verify.stdout.components(separatedBy: "kd> ").first ?? ""
    let halted = banner.contains("Break instruction exception")
    let runfor = verify.stdout.components(separatedBy: "> .runfor").last ?? ""
    let hit = eip == bpAddress && !runfor.contains("You are seeing this message")
    if s == value { scratchLanded += 1 }
    if hit { breakpointHits += 1 }
    if !halted { leftRunning += 1 }
    let itemsOK = (s == previous.scratch || s == value) && (t == previous.tag || t == tag) && (t != tag || s == value)
    tally.check(itemsOK, "iteration \(i): scratch \(hex(s)) tag \(hex(t)) out of order")
    if resumes {
      // Running only if the kill came during `.runfor 0`'s resume (nothing written yet) or after `g`.
      tally.check(
        halted || s == previous.scratch || t == tag,
        "iteration \(i): the target runs but the script never resumed it")
      tally.check(halted || !hit, "iteration \(i): the breakpoint cleared before `g` was hit")
      tally.check(
        s != value || !halted || hit || t == tag, "iteration \(i): the killed client's breakpoint was lost")
    } else {
      tally.check(s != value || halted, "iteration \(i): scratch written but the next client was not told `halted`")
      tally.check(s != value || hit, "iteration \(i): the killed client's breakpoint was lost (eip \(hex(eip)))")
    }
    previous = (s, t)
    // Remove the breakpoint if it is still there. Handles are numbered 1, 2, ...: setting one here either succeeds
    // (none was there; every handle up to the new one is spent) or is refused (one is there, above the floor).
    do {
      let cleaner = try server.connectController()
      var removed = false
      let probe = try cleaner.request(.writeBreakPoint(WriteBreakPoint(address: UInt64(bpAddress))))
      if probe.status == .success, case .writeBreakPoint(let set) = probe.body {
        _ = try cleaner.request(.restoreBreakPoint(RestoreBreakPoint(handle: set.handle)))
        handleFloor = set.handle
      } else {
        for handle in handleFloor + 1...handleFloor + 8 {
          let reply = try cleaner.request(.restoreBreakPoint(RestoreBreakPoint(handle: handle)))
          if reply.status == .success {
            handleFloor = handle
            removed = true
            break
          }
        }
        tally.check(removed, "iteration \(i): a breakpoint is set but could not be removed")
      }
      cleaner.detach()
    } catch {
      tally.check(false, "iteration \(i): cleanup session failed: \(error)")
    }
  }
  say(
    "scenario 1: \(iterations) kd runs, \(kills) killed by SIGKILL mid-session; scratch write landed in "
      + "\(scratchLanded), breakpoint still hit by the next client in \(breakpointHits), target left running "
      + "(next client told so) in \(leftRunning); verifier retries "
      + "\(verifierRetries); slowest verification \(String(format: "%.2f", slowest)) s; "
      + "\(String(format: "%.0f", seconds(since: started))) s")
}

func writeScript(_ path: String, _ text: String) {
  _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
}

/// The dword a `dd ADDRESS L1` printed: the second field of the line after the command's echo.
func dwordAfter(_ echo: String, in output: String) -> UInt32? {
  let lines = output.split(separator: "\n")
  guard let at = lines.firstIndex(where: { $0.hasSuffix("> " + echo) }), at + 1 < lines.count else { return nil }
  return lines[at + 1].split(separator: " ").dropFirst().first.flatMap { UInt32($0, radix: 16) }
}
