import Testing

@testable import KDClient

/// `bp` on an address the target cannot write, `bu`/`bm`, deferred breakpoints, and `kp` without private symbols.
@Suite struct BreakpointDeferredTests {
  /// KD's report when `g` cannot insert `bp 0`.
  static let bpZeroFailure = [
    "Unable to insert breakpoint 0 at 00000000, Win32 error 0n998",
    "    \"Invalid access to memory location.\"",
    "The breakpoint was set with BP.  If you want breakpoints",
    "to track module load/unload state you must use BU.",
    "bp0 at 00000000 failed",
    "WaitForEvent failed",
  ]

  @Test func bpOnUnwritableMemoryIsAcceptedAndFailsAtGo() {
    let t = XPImage.make()
    let d = Debugger(target: t)
    #expect(kd(d, "bp 0").isEmpty)
    #expect(kd(d, "bl") == [" 0 e 00000000     0001 (0001)"])
    let failure = Self.bpZeroFailure
    #expect(kd(d, "g") == failure)
    #expect(kd(d, "t") == failure)
    #expect(t.resumes.isEmpty, "the target must not run")
    // Once it is cleared, the target runs again.
    guard case .halted(let event) = t.state else {
      Issue.record("not halted")
      return
    }
    t.pendingEvents.append(event)
    #expect(kd(d, "bc 0").isEmpty)
    _ = kd(d, "g")
    #expect(t.resumes == [false])
  }

  @Test func buDefersAnUnknownSymbolAndBpSaysSo() {
    let t = XPImage.make()
    let d = Debugger(target: t)
    #expect(kd(d, "bu later!Start").isEmpty)
    #expect(kd(d, "bp later!Stop 3") == ["Bp expression 'later!Stop' could not be resolved, adding deferred bp"])
    #expect(kd(d, "bu nt!ExFreePoolWithTag").isEmpty)
    #expect(
      kd(d, "bl") == [
        " 0 eu             0001 (0001) (later!Start)",
        " 1 eu             0003 (0003) (later!Stop)",
        " 2 e 8054c000     0001 (0001) nt!ExFreePoolWithTag",
      ])
    #expect(kd(d, ".bpcmds") == ["bu0 later!Start;", "bu1 later!Stop 0x3 ;", "bu2 nt!ExFreePoolWithTag;"])
    // Only the resolved one is in the target; an expression that is no symbol at all is still an error.
    #expect(Set(t.breakpoints.values) == [XPImage.free])
    #expect(kd(d, "bu nosuchsymbol") == ["Couldn't resolve error at 'nosuchsymbol'"])
  }

  @Test func bmSetsOneBreakpointPerMatchAndSaysWhichAsKD() {
    let t = XPImage.make()
    let d = Debugger(target: t)
    #expect(
      kd(d, "bm nt!ExA*") == ["  0: 8054b000 @!\"nt!ExAllocatePoolWithTag\""])
    #expect(
      kd(d, "bm /d nt!Ex*Pool*") == [
        "breakpoint 0 redefined", "  0: 8054b000 @!\"nt!ExAllocatePoolWithTag\"",
        "  1: 8054c000 @!\"nt!ExFreePoolWithTag\"",
      ])
    #expect(kd(d, ".bpcmds") == ["bp0 0x8054b000 ;", "bp1 0x8054c000 ;"])
    #expect(kd(d, "bm /a leaky!Leaky*") == ["  2: f8a112c0 @!\"leaky!LeakyAllocate\""])
    #expect(kd(d, ".bpcmds").last == "bu2 @!\"leaky!LeakyAllocate\";")
    #expect(kd(d, "bm nt!Nothing*") == ["No matching code symbols found, no breakpoints set."])
    #expect(Set(t.breakpoints.values) == [XPImage.alloc, XPImage.free, XPImage.callSite])
  }

  @Test func kpWithoutPrivateSymbolsPrintsTheFramesAsK() {
    let d = Debugger(target: XPImage.make())
    #expect(kd(d, "kp") == kd(d, "k"))
    #expect(kd(d, "kp").first == "ChildEBP RetAddr")
  }
}
