import Testing

@testable import KDClient

/// The suffix KD prints after the current instruction (`r`, break notifications, `t`/`p`): each memory operand's
/// effective address and the value read from target memory there, or `[br=N]` for a conditional branch.
@Suite struct EffectiveAddressTests {
  /// `r` after moving `eip` to `code` (mapped at nt!ExAllocatePoolWithTag+0x100) with `setup` applied.
  func instructionLine(_ code: [UInt8], _ setup: String = "", map: (MemoryTarget) -> Void = { _ in }) -> String? {
    let t = XPImage.make()
    t.map(XPImage.alloc + 0x100, code)
    map(t)
    let d = Debugger(target: t)
    _ = kd(d, "r eip=nt!ExAllocatePoolWithTag+0x100" + (setup.isEmpty ? "" : "; " + setup))
    return kd(d, "r").last
  }

  @Test func absoluteOperandShowsSegmentAddressAndValue() {
    // mov eax,dword ptr [nt!PoolHitTag]: the tag variable holds ffffff0f.
    #expect(
      instructionLine([0xa1] + XPImage.bytes(XPImage.poolHitTag))
        == "8054b100 a100005580      mov     eax,dword ptr [nt!PoolHitTag (80550000)] ds:0023:80550000=ffffff0f")
  }

  @Test func unreadableOperandShowsQuestionMarksOfItsSize() {
    // mov eax,dword ptr [ecx] with ecx 10; movzx eax,byte ptr [ecx].
    #expect(
      instructionLine([0x8b, 0x01]) == "8054b100 8b01            mov     eax,dword ptr [ecx] ds:0023:00000010=????????")
    #expect(
      instructionLine([0x0f, 0xb6, 0x01]) == "8054b100 0fb601          movzx   eax,byte ptr [ecx] ds:0023:00000010=??")
  }

  @Test func stackOperandsUseSsAndScaledIndexesCount() {
    // mov eax,dword ptr [ebp+8] / mov eax,dword ptr [ecx*4+80550000h] (ecx = 2: the tag's neighbours).
    #expect(
      instructionLine(
        [0x8b, 0x45, 0x08],
        map: {
          $0.mapZeroed(0xf714_e000, pages: 1)
          $0.putU32(0xf714_eee8, 0x1234)
        })
        == "8054b100 8b4508          mov     eax,dword ptr [ebp+8] ss:0010:f714eee8=00001234")
    let scaled = instructionLine([0x8b, 0x04, 0x8d] + XPImage.bytes(XPImage.poolHitTag), "r ecx=1")
    #expect(scaled?.hasSuffix("ecx*4-7fab0000h] ds:0023:80550004=00000400") == true, "\(scaled ?? "")")
  }

  @Test func indirectCallShowsTheTargetsSymbol() {
    // call dword ptr [80550100h], which holds nt!ExFreePoolWithTag.
    let line = instructionLine([0xff, 0x15, 0x00, 0x01, 0x55, 0x80], map: { $0.putU32(0x8055_0100, XPImage.free) })
    #expect(line?.hasSuffix(" ds:0023:80550100={nt!ExFreePoolWithTag (8054c000)}") == true, "\(line ?? "")")
  }

  @Test func conditionalBranchesShowWhetherTheyAreTaken() {
    // efl 246: ZF set, CF clear. je/jne/jb/ja +2.
    #expect(instructionLine([0x74, 0x02])?.hasSuffix(" (8054b104) [br=1]") == true)
    #expect(instructionLine([0x75, 0x02])?.hasSuffix(" (8054b104) [br=0]") == true)
    #expect(instructionLine([0x72, 0x02])?.hasSuffix("[br=0]") == true)
    #expect(instructionLine([0x77, 0x02])?.hasSuffix("[br=0]") == true)
    #expect(instructionLine([0x77, 0x02], "r efl=202")?.hasSuffix("[br=1]") == true)
    // jmp and lea have no suffix.
    #expect(instructionLine([0xeb, 0x02])?.hasSuffix("(8054b104)") == true)
    #expect(instructionLine([0x8d, 0x45, 0x08]) == "8054b100 8d4508          lea     eax,[ebp+8]")
  }

  @Test func effectiveAddressParsing() {
    var c = X86Context()
    c.ebp = 0x100
    c.esi = 0x10
    c.ecx = 3
    #expect(
      EffectiveAddress.operands("dword ptr [ebp-0Ch]", mnemonic: "mov", context: c)
        == [.init(segment: "ss", address: 0xf4, size: 4)])
    #expect(
      EffectiveAddress.operands("dword ptr es:[esi],dword ptr [esi+ecx*4+10h]", mnemonic: "movs", context: c)
        == [.init(segment: "es", address: 0x10, size: 4), .init(segment: "ds", address: 0x2c, size: 4)])
    #expect(EffectiveAddress.operands("dword ptr fs:[124h]", mnemonic: "mov", context: c).isEmpty)
    #expect(EffectiveAddress.operands("eax,[ebp+8]", mnemonic: "lea", context: c).isEmpty)
  }
}
