import Foundation
import KDTestSupport
import Testing

/// The real `kd` against the embedded target (issue 16): the effective address and branch outcome after the
/// current instruction, `bp` on memory the target cannot write, `bu`/`bm`, and `kp` without private symbols.
@Suite struct BreakpointRegisterLayoutTests {
  @Test func currentInstructionCarriesEffectiveAddressAndBranchOutcome() throws {
    // nt!ExAllocatePoolWithTag+0xe compares the tag with nt!PoolHitTag (ffffff0f: no tag matches), +0x14 is the
    // jne past the break that follows.
    let out = PoolPageTests.outputs("g nt!ExAllocatePoolWithTag+0xe; t; r; kp; k")
    let stop = try #require(KDLayoutTests.outputs(in: out, of: "g nt!ExAllocatePoolWithTag+0xe").first, "\(out)")
    #expect(
      stop == [
        "nt!ExAllocatePoolWithTag+0xe:",
        "804d800e 3b1500a04d80    cmp     edx,dword ptr [nt!PoolHitTag (804da000)] ds:0023:804da000=ffffff0f",
      ])
    let step = try #require(KDLayoutTests.outputs(in: out, of: "t").first, "\(out)")
    #expect(step.last == "804d8014 7501            jne     nt!ExAllocatePoolWithTag+0x17 (804d8017) [br=1]", "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "r").first?.last == step.last, "\(out)")
    let kp = try #require(KDLayoutTests.outputs(in: out, of: "kp").first, "\(out)")
    #expect(kp.first == "ChildEBP RetAddr", "\(out)")
    #expect(kp == KDLayoutTests.outputs(in: out, of: "k").first, "\(out)")
  }

  @Test func bpAtZeroIsAcceptedAndGoReportsKDsInsertFailure() {
    let out = PoolPageTests.outputs("bp 0; bl; g; bc 0; g nt!ExFreePool")
    #expect(KDLayoutTests.outputs(in: out, of: "bp 0").first == [], "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "bl").first == [" 0 e 00000000     0001 (0001)"], "\(out)")
    #expect(
      KDLayoutTests.outputs(in: out, of: "g").first == BreakpointDeferredTests.bpZeroFailure, "\(out)")
    // Cleared, the target runs again.
    #expect(KDLayoutTests.outputs(in: out, of: "g nt!ExFreePool").first?.first == "nt!ExFreePool:", "\(out)")
  }

  @Test func buStaysDeferredAndBmSetsEachMatch() {
    let out = PoolPageTests.outputs("bu Later!Start; bm nt!ExAlloc*; bl; .bpcmds; g; bl")
    #expect(KDLayoutTests.outputs(in: out, of: "bu Later!Start").first == [], "\(out)")
    #expect(
      KDLayoutTests.outputs(in: out, of: "bm nt!ExAlloc*").first == [
        "  1: 804d8000 @!\"nt!ExAllocatePoolWithTag\"", "  2: 804d8040 @!\"nt!ExAllocatePool\"",
      ], "\(out)")
    let listed = [
      " 0 eu             0001 (0001) (Later!Start)",
      " 1 e 804d8000     0001 (0001) nt!ExAllocatePoolWithTag",
      " 2 e 804d8040     0001 (0001) nt!ExAllocatePool",
    ]
    #expect(KDLayoutTests.outputs(in: out, of: "bl") == [listed, listed], "\(out)")
    #expect(
      KDLayoutTests.outputs(in: out, of: ".bpcmds").first == [
        "bu0 Later!Start;", "bu1 @!\"nt!ExAllocatePoolWithTag\";", "bu2 @!\"nt!ExAllocatePool\";",
      ], "\(out)")
    let hit = KDLayoutTests.outputs(in: out, of: "g").first ?? []
    #expect(hit.first == "Breakpoint 1 hit" || hit.first == "Breakpoint 2 hit", "\(out)")
  }
}

/// `!poolval` on the faultPoolHeader scenario, whose driver overran a paged block by one byte into the next
/// header: the report comes from the target's real pool page.
@Suite struct PoolValidateEndToEndTests {
  @Test func poolvalFindsTheOverrunHeaderAndPassesAGoodPage() throws {
    let out = PoolPageTests.outputs(
      ".runfor 1; dd Faulty!FaultyOverrun L1; !poolval poi(Faulty!FaultyOverrun); !poolval 81000000; !poolval 0",
      ["--scenario", "faultPoolHeader"])
    let dd = try #require(KDLayoutTests.outputs(in: out, of: "dd Faulty!FaultyOverrun L1").first?.first, "\(out)")
    let block = try #require(UInt32(dd.split(separator: " ").last ?? "", radix: 16), "\(out)")
    let page = String(block & ~0xfff, radix: 16)
    let next = String(block + 64, radix: 16)
    #expect(
      KDLayoutTests.outputs(in: out, of: "!poolval poi(Faulty!FaultyOverrun)").first == [
        "Pool page \(String(block, radix: 16)) region is Paged pool", "",
        "Validating Pool headers for pool page: \(String(block, radix: 16))", "", "Pool page [ \(page) ] is INVALID.",
        "", "Analyzing linked list...", "[ \(next) ]: invalid previous size [ 0x41 ] should be [ 0x9 ]", "", "",
        "Scanning for single bit errors...", "", "None found",
      ], "\(out)")  // (the transcript's last blank line is cut with its final newline)
    #expect(
      KDLayoutTests.outputs(in: out, of: "!poolval 81000000").first == [
        "Pool page 81000000 region is Nonpaged pool", "", "Validating Pool headers for pool page: 81000000", "",
        "Pool page [ 81000000 ] is VALID.",
      ], "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "!poolval 0").first == [], "\(out)")
  }
}
