import Testing

@testable import KDClient

@Suite struct ExecutionTests {
  let t = XPImage.make()

  func event(_ kind: BreakEvent.Kind, pc: UInt32) -> BreakEvent {
    guard case .halted(let e) = t.state else { fatalError("fixture starts halted") }
    var n = e
    n.kind = kind
    n.pc = pc
    n.context.eip = pc
    return n
  }

  @Test func goPrintsThePoolHitTagBreakFromTheEventsOwnData() {
    let d = Debugger(target: t)
    t.pendingEvents = [event(.exception, pc: XPImage.alloc + 0x881)]
    let results = d.run("g")
    #expect(results.count == 1)
    #expect(results[0].event?.pc == XPImage.alloc + 0x881)
    #expect(
      results[0].lines == [
        "Break instruction exception - code 80000003 (first chance)", "nt!ExAllocatePoolWithTag+0x881:",
        "8054b881 cc              int     3",
      ])
    #expect(t.resumes == [false])
  }

  @Test func breakpointsAreListedAndReportedByID() {
    let d = Debugger(target: t)
    #expect(kd(d, "bp leaky!LeakyAllocate") == [])
    #expect(kd(d, "bp1 nt!ExFreePoolWithTag") == [])
    #expect(
      kd(d, "bl") == [
        " 0 e f8a112c0     0001 (0001) leaky!LeakyAllocate", " 1 e 8054c000     0001 (0001) nt!ExFreePoolWithTag",
      ])
    t.pendingEvents = [event(.breakpoint, pc: XPImage.callSite)]
    #expect(kd(d, "g") == ["Breakpoint 0 hit", "leaky!LeakyAllocate:", "f8a112c0 6841626320      push    20636241h"])
    #expect(kd(d, "bd 0; bl").first == " 0 d f8a112c0     0001 (0001) leaky!LeakyAllocate")
    #expect(t.breakpoints.count == 1)
    #expect(kd(d, "be 0") == [])
    #expect(t.breakpoints.count == 2)
    #expect(kd(d, "bp0 leaky!LeakyAllocate") == ["breakpoint 0 redefined"])
    #expect(kd(d, "bc *; bl") == [])
    #expect(t.breakpoints.isEmpty)
  }

  @Test func breakInShowsTheBox() {
    let d = Debugger(target: t)
    let lines = kd(d, ".runfor 0")
    #expect(lines.first == "Break instruction exception - code 80000003 (first chance)")
    #expect(lines.count == 1 + BreakNotification.breakInBox.count + 2)
  }

  @Test func stepPrintsRegistersAndStepsOverCalls() {
    let d = Debugger(target: t)
    t.pendingEvents = [event(.singleStep, pc: XPImage.alloc + 0x882)]
    let lines = kd(d, "t")
    #expect(lines.count == 5)
    #expect(lines[0].hasPrefix("eax=00000000"))
    #expect(lines[3] == "nt!ExAllocatePoolWithTag+0x882:")
    #expect(t.resumes == [true])
  }

  @Test func bugCheckBanner() {
    let d = Debugger(target: t)
    var e = event(.bugCheck, pc: XPImage.breakWithStatus)
    e.exceptionCode = 0xc4
    e.parameters = [0x20005, 0xf8e1_6f50, 0, 0]
    t.pendingEvents = [e]
    let lines = kd(d, "g")
    #expect(
      lines.prefix(2) == [
        "*** Fatal System Error: 0x000000c4", "                       (0x00020005,0xF8E16F50,0x00000000,0x00000000)",
      ])
    #expect(lines.suffix(2) == ["nt!RtlpBreakWithStatusInstruction:", "80527000 cc              int     3"])
  }

  @Test func commandsNeedingAHaltedTargetSaySo() {
    let d = Debugger(target: t)
    t.pendingEvents = []
    d.deadline = ContinuousClock().now
    #expect(kd(d, "g") == ["Timed out waiting for the target to break; it is still running"])
    #expect(kd(d, "r") == ["registers: the target is running; break in first (Ctrl+C)"])
  }

  @Test func multiprocessorPrompt() {
    #expect(Debugger(target: XPImage.make(processors: 2)).prompt == "0: kd> ")
    #expect(Debugger(target: t).prompt == "kd> ")
  }
}

@Suite struct MultiprocessorTests {
  @Test func caretCountsTheWiderPrompt() {
    let d = Debugger(target: XPImage.make(processors: 2))
    #expect(kd(d, "zz") == ["        ^ Syntax error in 'zz'"])
  }
}

@Suite struct RunningTargetTests {
  @Test func runforBreaksIntoAnAlreadyRunningTarget() throws {
    let t = XPImage.make()
    try t.resume(singleStep: false)
    let d = Debugger(target: t)
    #expect(kd(d, "!poolused 4").count == 11)
    let lines = kd(d, ".runfor 0")
    #expect(lines.first == "Break instruction exception - code 80000003 (first chance)")
    #expect(t.state.isHalted)
    #expect(t.resumes == [false])
  }
}

@Suite struct BreakpointCommandTests {
  @Test func commandsRunAtEachHitAndAFinalGGoesOn() {
    let t = XPImage.make()
    guard let (hit, stop) = hitAndStop(t) else { return }
    let d = Debugger(target: t)
    #expect(kd(d, "bp leaky!LeakyAllocate \"r ecx; g\"") == [])
    #expect(kd(d, "bl") == [" 0 e f8a112c0     0001 (0001) leaky!LeakyAllocate \"r ecx; g\""])
    t.pendingEvents = [hit, hit, stop]
    var streamed: [String] = []
    let results = d.run("g") { streamed.append($0.command) }
    #expect(streamed == ["", "r ecx", "", "r ecx", "g"])
    #expect(results.map(\.command) == streamed)
    #expect(results[0].lines.prefix(2) == ["Breakpoint 0 hit", "leaky!LeakyAllocate:"])
    #expect(results[1].lines == ["ecx=00000010"])
    #expect(results[4].lines.first == "Break instruction exception - code 80000003 (first chance)")
    #expect(t.resumes.count == 3)
  }

  @Test func withoutAFinalGTheHitEndsG() {
    let t = XPImage.make()
    guard case .halted(let start) = t.state else { return }
    var hit = start
    hit.kind = .breakpoint
    hit.pc = XPImage.callSite
    let d = Debugger(target: t)
    _ = kd(d, "bp leaky!LeakyAllocate \"kb 1\"")
    t.pendingEvents = [hit]
    let results = d.run("g")
    #expect(results.count == 3)
    #expect(results.allSatisfy { $0.succeeded })
    #expect(results[1].lines.first == "ChildEBP RetAddr  Args to Child")
    #expect(results[2].lines.isEmpty)
  }
}

@Suite struct SteppingOffBreakpointTests {
  @Test func aSingleStepStopDuringGIsNotReported() {
    let t = XPImage.make()
    guard case .halted(let start) = t.state else { return }
    var step = start
    step.kind = .singleStep
    step.pc = XPImage.callSite + 5
    var stop = start
    stop.kind = .exception
    t.pendingEvents = [step, stop]
    let d = Debugger(target: t)
    #expect(kd(d, "g").first == "Break instruction exception - code 80000003 (first chance)")
    #expect(t.resumes == [false, false])
  }
}
