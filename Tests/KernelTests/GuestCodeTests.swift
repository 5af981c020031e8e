import Foundation
import Testing

@testable import KDKernel

/// What KDKernelFuzz does, for the inputs that matter most (its seeds): x86 written over Faulty!FaultyTouch in
/// a real kernel, run until a halt. Each outcome is a halt the debugger hears about, never a host trap.
@Suite struct GuestCodeTests {
  @Test(arguments: [
    ([UInt8]([0x31, 0xc0, 0x8b, 0x00]), "bugCheck 0x50"),  // xor eax,eax; mov eax,[eax]
    ([0xcc, 0xc3], "hardcoded"),  // int 3
    ([0xeb, 0xfe], "timeLimit"),  // jmp $: preempted, then the time limit
    ([0xb8, 0xff, 0xff, 0x00, 0x00, 0xcd, 0x2e, 0xc3], "bugCheck 0x1e"),  // int 2Eh, no such service
    ([0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0xc3], "singleStep"),  // popfd with TF
    ([0x0f, 0x0b], "bugCheck 0x8e"),  // ud2
    ([0xcd, 0x80], "bugCheck 0x7f"),  // int 80h
    ([0x31, 0xc9, 0xf7, 0xf1], "bugCheck 0x8e"),  // div ecx, ecx = 0
    // push eax forever: runs off its stack into the guard page, leaving no room for KeBugCheckEx's frame: a
    // double fault (found by KDKernelFuzz: the halt was at the faulting push, not in KeBugCheckEx).
    ([0x50, 0xeb, 0xfd], "bugCheck 0x7f"),
    // ff /3 and ff /5 with a register operand are #UD; Unicorn 2.0.1's translator aborted the process on them
    // (found by KDKernelFuzz: push eax; jmp into the ff of "ff eb"; "tcg fatal error", SIGABRT).
    ([0x50, 0xeb, 0xff, 0xeb, 0xff], "bugCheck 0x8e"),
    ([0xff, 0xd8], "bugCheck 0x8e"),  // lcall eax
    ([0x40, 0x90, 0x66, 0xff, 0xe9], "bugCheck 0x8e"),  // inc eax; nop; ljmp cx: the block starts at inc eax
    // push; push; hlt; jmp to the hlt: each run ended at once at the hlt and virtual time stood still (found by
    // KDKernelFuzz: no halt within 60 s). hlt waits for the next clock tick.
    ([0x6a, 0xeb, 0x6a, 0xf4, 0xeb, 0xfd], "timeLimit"),
    // mov eax,0fffffff0h; jmp eax: the engine's stop address, unmapped
    ([0xb8, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xe0], "bugCheck 0x50"),
  ])
  func randomCodeEndsInAHalt(code: [UInt8], expected: String) throws {
    let h = try Harness("faultNullWrite")
    let touch = try h.symbol("Faulty", "FaultyTouch")
    #expect(try h.kernel.sync { c in c.writeVirtual(touch.address, code).written } == code.count)
    let e = try h.run(seconds: 0.3)
    let outcome: String =
      switch e.reason {
      case .bugCheck(let code, _): "bugCheck 0x" + String(code, radix: 16)
      case .hardcoded: "hardcoded"
      case .timeLimit: "timeLimit"
      case .singleStep: "singleStep"
      default: "\(e.reason)"
      }
    #expect(outcome == expected)
    if case .bugCheck(let bugCode, let params) = e.reason {
      let data = try (0..<5).map { try h.readU32(try h.nt("KiBugCheckData") + UInt32(4 * $0)) }
      #expect(data == [bugCode] + params)
      let keBugCheckEx = try h.symbol("nt", "KeBugCheckEx")
      #expect(e.pc >= keBugCheckEx.address && e.pc < keBugCheckEx.address + keBugCheckEx.size)
      let inTouch = { (a: UInt32) in a >= touch.address && a < touch.address + 16 }
      let jumpedAway = code.last == 0xe0  // jmp eax: the faulting pc is the target, not in FaultyTouch
      #expect(jumpedAway || e.stack.contains { inTouch($0.instructionPointer) || inTouch($0.returnAddress) })
      if jumpedAway { #expect(params == [0xffff_fff0, 0, 0xffff_fff0, 0]) }
      if code == [0x50, 0xeb, 0xfd] { #expect(params == [8, 0, 0, 0]) }  // EXCEPTION_DOUBLE_FAULT
      if bugCode == 0x8e, code.contains(0xff) { #expect(params[0] == ExceptionCode.illegalInstruction) }
      // After a translator abort: the start of the block it could not translate, with that block unrun.
      if code == [0x50, 0xeb, 0xff, 0xeb, 0xff] { #expect(params == [0xC000_001D, touch.address + 2, 0, 0]) }
      if code.first == 0x40 { #expect(params == [0xC000_001D, touch.address, 0, 0]) }
    }
  }

  /// A translator abort costs the target, never the host: it bug-checks (memory still reads and writes, resume
  /// is refused), a reboot brings a fresh engine, and hundreds in a row leak no descriptor or thread.
  @Test func translatorAbortsAreBugChecksAndRebootRecovers() throws {
    let h = try Harness("faultNullWrite")
    let touch = try h.symbol("Faulty", "FaultyTouch")
    let bodies: [[UInt8]] = [
      [0xff, 0xeb], [0xff, 0xd8], [0xff, 0xe8], [0xf0, 0xff, 0xdf], [0x50, 0xeb, 0xff, 0xeb, 0xff],
    ]
    func count(_ directory: String) -> Int {
      (try? FileManager.default.contentsOfDirectory(atPath: directory))?.count ?? 0
    }
    var before: (fds: Int, threads: Int) = (0, 0)
    for round in 0..<200 {
      if round == 20 { before = (count("/proc/self/fd"), count("/proc/self/task")) }
      let code = bodies[round % bodies.count]
      let halts = h.haltCount
      let written = try h.kernel.sync { c throws(KernelError) in
        if round > 0 { try c.reboot() }
        c.haltAt(virtualTime: c.virtualTime + 3_000_000)
        return c.writeVirtual(touch.address, code).written
      }
      #expect(written == code.count)
      if round == 0 { try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) } }
      let e = try h.waitForHalt(after: halts)
      guard case .bugCheck(0x8e, let params) = e.reason, params[0] == ExceptionCode.illegalInstruction else {
        Issue.record("round \(round): \(e.reason)")
        return
      }
    }
    #expect(count("/proc/self/fd") <= before.fds + 16)
    #expect(count("/proc/self/task") <= before.threads + 16)
    // The lost engine still serves reads and writes of memory; the target refuses to go on.
    try h.kernel.sync { c throws(KernelError) in
      #expect(c.readVirtual(touch.address, count: 5).bytes == [0x50, 0xeb, 0xff, 0xeb, 0xff])
      #expect(c.writeVirtual(touch.address, [0xc3]).written == 1)
      #expect(c.readVirtual(touch.address, count: 1).bytes == [0xc3])
    }
    #expect(throws: KernelError.targetBugChecked(code: 0x8e)) {
      try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    }
    // A fresh boot runs the scenario's own fault.
    let halts = h.haltCount
    try h.kernel.sync { c throws(KernelError) in try c.reboot() }
    guard case .bugCheck(let code, _) = try h.waitForHalt(after: halts).reason else {
      Issue.record("no bug check after the reboot")
      return
    }
    #expect(code == 0x50)
  }
}
