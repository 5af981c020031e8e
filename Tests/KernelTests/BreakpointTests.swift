import Foundation
import Testing

@testable import KDKernel

@Suite struct BreakpointTests {
  @Test func softwareBreakpointHitsIsHiddenFromReadsAndSteps() throws {
    let h = try Harness()
    try h.run(seconds: 1)
    let f = try h.symbol("Abc", "AbcLogEvent")
    let original = try h.read(f.address, 3)
    #expect(original == [0x55, 0x89, 0xe5])  // push ebp; mov ebp,esp
    let handle = try h.kernel.sync { c throws(KernelError) in try c.setBreakpoint(at: f.address) }
    // Memory really holds 0xCC, reads show the original.
    #expect(try h.read(f.address, 3) == original)
    #expect(try h.kernel.sync { c in c.currentMachineByte(f.address) } == 0xcc)

    let hit = try h.run()
    #expect(hit.reason == .breakpoint(handle: handle))
    #expect(hit.pc == f.address)
    #expect(hit.stack.count >= 1)

    let step = try h.run(singleStep: true)
    #expect(step.reason == .singleStep)
    #expect(step.exceptionCode == 0x8000_0004)
    #expect(step.pc == f.address + 1)
    #expect(step.context.esp == hit.context.esp - 4)  // push ebp happened
    let step2 = try h.run(singleStep: true)
    #expect(step2.pc == f.address + 3)
    #expect(step2.context.ebp == step2.context.esp)

    // The breakpoint survived the step-over: the loop comes back to it.
    let again = try h.run()
    #expect(again.reason == .breakpoint(handle: handle))
    #expect(again.pc == f.address)
    #expect(again.virtualTime > hit.virtualTime)

    try h.kernel.sync { c throws(KernelError) in try c.removeBreakpoint(handle: handle) }
    #expect(try h.kernel.sync { c in c.currentMachineByte(f.address) } == 0x55)
    let later = try h.run(seconds: 1)
    #expect(later.reason == .timeLimit)
  }

  /// A breakpoint on an nt export stops on its first instruction with its caller's return address at esp.
  @Test func breakpointInNtStub() throws {
    let h = try Harness()
    let free = try h.symbol("nt", "ExFreePoolWithTag")
    let handle = try h.kernel.sync { c throws(KernelError) in try c.setBreakpoint(at: free.address) }
    let e = try h.run()
    #expect(e.reason == .breakpoint(handle: handle) && e.pc == free.address)
    let ret = try h.readU32(e.context.esp)
    let modules = try h.kernel.sync { c in c.modules() }
    let wrapper = try h.symbol("nt", "ExFreePool")  // ExFreePool calls ExFreePoolWithTag(p, 0)
    let fromDriver = modules.contains { $0.name != "nt" && ret >= $0.base && ret < $0.base + $0.size }
    #expect(fromDriver || (ret > wrapper.address && ret < wrapper.address + wrapper.size))
    #expect(try h.read(free.address, 1) == [0x55])
  }

  /// Stopped on a routine's prologue (no EBP frame of its own yet) or on its `ret`, the walk still shows the
  /// caller: the first frame's return address comes from ESP, as KD shows a breakpoint on a function's entry.
  @Test func stackAtPrologueAndRetShowsTheCaller() throws {
    let h = try Harness()
    let log = try h.symbol("Abc", "AbcLogEvent")
    let worker = try h.symbol("Abc", "AbcLogWorker")
    let handle = try h.kernel.sync { c throws(KernelError) in try c.setBreakpoint(at: log.address) }
    let entry = try h.run()
    #expect(entry.reason == .breakpoint(handle: handle))
    let ret = try h.readU32(entry.context.esp)
    #expect(ret > worker.address && ret < worker.address + worker.size)
    for e in [entry, try h.run(singleStep: true)] {  // on `push ebp`, then on `mov ebp,esp`
      #expect(e.stack.count >= 3)
      #expect(e.stack[0].instructionPointer == e.pc && e.stack[0].returnAddress == ret)
      #expect(e.stack[1].instructionPointer == ret, "the caller, AbcLogWorker, is the second frame")
    }
    // Once the frame exists, the ordinary EBP walk finds the same caller.
    let framed = try h.run(singleStep: true)
    #expect(framed.context.ebp == framed.context.esp)
    #expect(framed.stack[0].returnAddress == ret && framed.stack[1].instructionPointer == ret)
    // A stack taken on request (GetStackTrace) agrees with the one the break carried.
    let requested = try h.kernel.sync { c in c.stackTrace(thread: nil, maxFrames: 32) }
    #expect(requested == framed.stack)
  }

  @Test func breakpointsAreRefusedWhereNoMemoryIs() throws {
    let h = try Harness()
    #expect(throws: KernelError.breakpointUnwritable(address: 0x1000)) {
      try h.kernel.sync { c throws(KernelError) in try c.setBreakpoint(at: 0x1000) }
    }
    #expect(throws: KernelError.unknownBreakpoint(7)) {
      try h.kernel.sync { c throws(KernelError) in try c.removeBreakpoint(handle: 7) }
    }
  }

  /// Break-in while running at wall-clock pace halts every thread; the halt names a real thread and pc.
  @Test func breakInHaltsTheRunningTarget() throws {
    let h = try Harness(pace: 1)
    let before = h.haltCount
    try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    h.kernel.breakIn()
    let e = try h.waitForHalt(after: before)
    #expect(e.reason == .breakIn)
    let threads = try h.kernel.sync { c in c.threads() }
    #expect(threads.contains { $0.kthread == e.thread })
    // The thread the break stopped in is the one on the processor, as Windows shows it (RUNNING).
    #expect(threads.filter { $0.state == .running }.map(\.kthread) == [e.thread])
    // Reads while halted and after resuming (served between slices).
    try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    #expect(try h.read(try h.nt("PoolHitTag"), 4) == [0x0f, 0xff, 0xff, 0xff])
    h.kernel.breakIn()
    #expect(try h.waitForHalt(after: before + 1).reason == .breakIn)
  }

  /// The idle thread's stack is `nt!KiIdleLoop` alone, ending there (a break-in on an idle target shows it).
  @Test func idleThreadStackIsOneFrameInKiIdleLoop() throws {
    let h = try Harness()
    let idleLoop = try h.nt("KiIdleLoop")
    let stack = try h.kernel.sync { c in
      c.stackTrace(thread: c.threads().first { $0.id == 0 }?.kthread, maxFrames: 8)
    }
    #expect(stack.count == 1)
    #expect(stack.first?.instructionPointer == idleLoop)
    #expect(stack.first?.returnAddress == 0)
    #expect(stack.first?.childEBP != 0)
  }

  /// While the target runs, exactly one thread is on the processor: the one a break-in would stop in.
  @Test func aRunningTargetHasOneRunningThreadAndABreakInStopsIt() throws {
    let h = try Harness(pace: 1)
    let before = h.haltCount
    try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    for _ in 0..<20 {
      let running = try h.kernel.sync { c in c.threads().filter { $0.state == .running } }
      #expect(running.count == 1)
      usleep(5000)
    }
    h.kernel.breakIn()
    let e = try h.waitForHalt(after: before)
    let running = try h.kernel.sync { c in c.threads().filter { $0.state == .running } }
    #expect(running.map(\.kthread) == [e.thread])
  }

  @Test func resumeNeedsAHaltedTarget() throws {
    let h = try Harness(pace: 1)
    try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    #expect(throws: KernelError.notHalted) {
      try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    }
    h.kernel.breakIn()
  }
}

extension KernelControl {
  /// The byte really in emulated memory (breakpoints not hidden).
  func currentMachineByte(_ address: UInt32) -> UInt8? {
    kernel.currentMachine.emulator.read(address, count: 1)?.first
  }
}
