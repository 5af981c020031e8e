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
      #expect(e.stack.contains { inTouch($0.instructionPointer) || inTouch($0.returnAddress) })
      if code == [0x50, 0xeb, 0xfd] { #expect(params == [8, 0, 0, 0]) }  // EXCEPTION_DOUBLE_FAULT
    }
  }
}
