import Testing

@testable import KDClient

@Suite struct StackRegisterDisassemblyTests {
  let d = Debugger(target: XPImage.make())

  @Test func kbShowsTheTagAmongTheAllocatorsArguments() {
    #expect(
      kd(d, "kb") == [
        "ChildEBP RetAddr  Args to Child",
        "f714ee68 f8a112ce 00000001 00000040 20636241 nt!ExAllocatePoolWithTag+0x881",
        "f714ee90 8057a123 86a220d0 86a40000 00000000 leaky!LeakyAllocate+0xe",
      ])
  }

  @Test func kAndKnAndFrameCount() {
    #expect(
      kd(d, "k") == [
        "ChildEBP RetAddr", "f714ee68 f8a112ce nt!ExAllocatePoolWithTag+0x881",
        "f714ee90 8057a123 leaky!LeakyAllocate+0xe",
      ])
    #expect(
      kd(d, "kbn 1") == [
        " # ChildEBP RetAddr  Args to Child",
        "00 f714ee68 f8a112ce 00000001 00000040 20636241 nt!ExAllocatePoolWithTag+0x881",
      ])
    #expect(
      kd(d, "kv 1").last
        == "f714ee68 f8a112ce 00000001 00000040 20636241 nt!ExAllocatePoolWithTag+0x881")
  }

  @Test func registerDump() {
    #expect(
      kd(d, "r") == [
        "eax=00000000 ebx=813f4ff0 ecx=00000010 edx=ffdff848 esi=8145d168 edi=813f4fc8",
        "eip=8054b881 esp=f714eec4 ebp=f714eee0 iopl=0         nv up ei pl zr na pe nc",
        "cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00000246",
        "nt!ExAllocatePoolWithTag+0x881:",
        "8054b881 cc              int     3",
      ])
  }

  @Test func registerReadAndWrite() {
    #expect(kd(d, "r ecx, cs, cl") == ["ecx=00000010", "cs=0008", "cl=10"])
    #expect(kd(d, "r eax=nt!poolhittag+1; r eax") == ["eax=80550001"])
    #expect(kd(d, "r foo") == ["      ^ Bad register error in 'r foo'"])
  }

  @Test func unassembleInWinDbgLayoutWithSymbolizedCall() {
    #expect(
      kd(d, "u leaky!LeakyAllocate L5") == [
        "leaky!LeakyAllocate:",
        "f8a112c0 6841626320      push    20636241h",
        "f8a112c5 6a40            push    40h",
        "f8a112c7 6a01            push    1",
        "f8a112c9 e8329db387      call    nt!ExAllocatePoolWithTag (8054b000)",
        "f8a112ce c3              ret",
      ])
  }

  @Test func unassembleUnreadableMemory() {
    #expect(
      kd(d, "u e1001000 L1") == ["e1001000 ??              ???", "      ^ Memory access error in 'u e1001000 L1'"])
  }

  @Test func unassembleContinuesOnEnter() {
    _ = kd(d, "u leaky!LeakyAllocate L2")
    #expect(kd(d, "").prefix(2) == ["leaky!LeakyAllocate+0x7:", "f8a112c7 6a01            push    1"])
  }
}

@Suite struct SymbolCommandTests {
  let d = Debugger(target: XPImage.make())

  /// Loaded modules from nt!PsLoadedModuleList, then, as in the reference's x86 capture, the unloaded ones from
  /// nt!MmUnloadedDrivers (`lm o` and `lm l` list loaded modules only; `lm m` filters both).
  @Test func lmListsModulesFromTheLoadedModuleList() {
    #expect(
      kd(d, "lm") == [
        "start    end        module name", "804d7000 806c7000   nt           (deferred)",
        "f8a10000 f8a12000   leaky        (deferred)", "", "Unloaded modules:", "f9f53000 f9f61000   swmidi.sys",
      ])
    #expect(kd(d, "lm m lea*") == ["start    end        module name", "f8a10000 f8a12000   leaky        (deferred)"])
    #expect(
      kd(d, "lm m sw*") == [
        "start    end        module name", "", "Unloaded modules:", "f9f53000 f9f61000   swmidi.sys",
      ])
    #expect(kd(d, "lm o").count == 3)
  }

  /// KD's kernel-mode progress block: a dot per loaded module, none for user modules (the simulated kernel runs
  /// no user mode), a dot per unloaded driver.
  @Test func reloadWithFLoadsSymbolsNow() {
    #expect(
      kd(d, ".reload /f") == [
        "Loading Kernel Symbols", "..", "Loading User Symbols", "", "Loading unloaded module list", ".",
      ])
    #expect(kd(d, "lm").dropFirst().first == "804d7000 806c7000   nt           (export symbols)       ntoskrnl.exe")
  }

  @Test func xMatchesWildcardsCaseInsensitively() {
    #expect(kd(d, "x nt!poolhit*") == ["80550000   nt!PoolHitTag = <no type information>"])
    #expect(
      kd(d, "x leaky!*") == [
        "f8a11000   leaky!DriverEntry = <no type information>",
        "f8a112c0   leaky!LeakyAllocate = <no type information>",
      ])
  }

  @Test func lnNamesTheNearestSymbols() {
    #expect(
      kd(d, "ln 8054b885") == [
        "(8054b000)   nt!ExAllocatePoolWithTag+0x885   |  (8054c000)   nt!ExFreePoolWithTag"
      ])
  }

  @Test func formatsShowsCharsMostSignificantFirst() {
    let lines = kd(d, ".formats 20636241")
    #expect(
      Array(lines.prefix(6)) == [
        "Evaluate expression:", "  Hex:     20636241", "  Decimal: 543384129", "  Octal:   04030661101",
        "  Binary:  00100000 01100011 01100010 01000001", "  Chars:    cbA",
      ])
    #expect(lines.count == 9)
  }
}

@Suite struct MemoryOperandTests {
  @Test func absoluteMemoryOperandsNameTheirSymbol() {
    let t = XPImage.make()
    // cmp edx,dword ptr [nt!PoolHitTag] / mov eax,dword ptr [12345678h] (no symbol there).
    t.map(XPImage.alloc + 0x100, [0x3b, 0x15] + XPImage.bytes(XPImage.poolHitTag) + [0xa1, 0x78, 0x56, 0x34, 0x12])
    let d = Debugger(target: t)
    #expect(
      kd(d, "u nt!ExAllocatePoolWithTag+0x100 L2") == [
        "nt!ExAllocatePoolWithTag+0x100:",
        "8054b100 3b1500005580    cmp     edx,dword ptr [nt!PoolHitTag (80550000)]",
        "8054b106 a178563412      mov     eax,dword ptr [12345678h]",
      ])
  }
}
