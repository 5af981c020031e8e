import Testing

@testable import KDClient

@Suite struct PoolCommandTests {
  let d = Debugger(target: XPImage.make())

  @Test func poolusedSortedByPagedBytesMatchesTheLeakDoc() {
    #expect(
      kd(d, "!poolused 4") == [
        "   Sorting by Paged Pool Consumed",
        "",
        "  Pool Used:",
        "            NonPaged            Paged",
        " Tag    Allocs     Used    Allocs     Used",
        " Abc         0        0     36405 33930272",
        " Tron        0        0       552  7863232",
        " IoN7        0        0     10939   998432",
        " Gla5        1      128      2222   924352",
        " Ggb         0        0        22   828384",
        " TOTAL           1      128     50140 44544672",
      ])
  }

  @Test func poolusedDefaultSortsByTagAndSkipsTagsWithNothingInUse() {
    let lines = kd(d, "!poolused")
    #expect(lines.first == "   Sorting by Tag")
    #expect(lines.dropFirst(5).prefix(5).map { String($0.prefix(5)) } == [" Abc ", " Ggb ", " Gla5", " IoN7", " Tron"])
    #expect(kd(d, "!poolused 2").first == "   Sorting by NonPaged Pool Consumed")
    #expect(kd(d, "!poolused 2").dropFirst(5).first == " Gla5        1      128      2222   924352")
  }

  @Test func poolusedVerboseAndTagFilter() {
    #expect(
      kd(d, "!poolused 1 Abc?").suffix(3) == [
        " Tag    Allocs    Frees     Diff     Used   Allocs    Frees     Diff     Used",
        " Abc         0        0        0        0    36505      100    36405 33930272",
        " TOTAL           0        0        0        0    36505      100    36405 33930272",
      ])
    #expect(kd(d, "!poolused 4 G*").count == 5 + 2 + 1)
    #expect(kd(d, "!poolused 6") == ["Flags 0x2 and 0x4 are mutually exclusive"])
  }

  @Test func poolCommandsSayWhenTaggingIsOff() {
    let d = Debugger(target: XPImage.make(taggingOn: false))
    #expect(
      kd(d, "!poolused 4") == ["unable to get PoolTrackTable - pool tagging is disabled, enable it to use this command"]
    )
    #expect(kd(d, "!gflag") == ["Current NtGlobalFlag contents: 0x00000000"])
    #expect(kd(d, "!gflag +ptg") == ["New NtGlobalFlag contents: 0x00000400", "    ptg - Enable pool tagging"])
    #expect(kd(d, "dd nt!NtGlobalFlag L1") == ["80550004  00000400"])
    #expect(kd(d, "!gflag -ptg +400 +ust").first == "New NtGlobalFlag contents: 0x00001400")
    #expect(kd(d, "!gflag +bogus") == ["Invalid flag '+bogus'. Use !gflag -? for the list of flags"])
  }

  @Test func poolfindScansBigPagesThenThePool() {
    #expect(
      kd(d, "!poolfind Abc 1") == [
        "",
        "Scanning large pool allocation table for Tag: Abc  (80570000 : 80570030)",
        "",
        "*e1002000 :large page allocation, Tag  is Abc , size  is 0x1000 bytes",
        "",
        "Searching Paged pool (e1000000 : e1003000) for Tag: Abc ",
        "",
        "e1000000 size:   20 previous size:    0  (Allocated) Abc ",
        "e1000060 size:  100 previous size:   40  (Allocated) Abc ",
      ])
  }

  @Test func poolfindByValueFreeAndProtectedBlocks() {
    #expect(kd(d, "!poolfind 0x6e6f7254 1").last == "e1000020 size:   40 previous size:   20  (Free)      Tron")
    #expect(kd(d, "!poolfind IoN7 1").last == "e1000160 size:  ea0 previous size:  100  (Allocated) IoN7 (Protected)")
    #expect(
      kd(d, "!poolfind Gla5").dropFirst(3) == [
        "Searching NonPaged pool (82000000 : 82002000) for Tag: Gla5", "",
        "82000000 size:   80 previous size:    0  (Allocated) Gla5", "",
        "Searching NonPaged pool (fd000000 : fd002000) for Tag: Gla5", "",
      ])
    #expect(kd(d, "!poolfind Abc 2").last == "The Abc  tag could not be found in special pool.")
  }

  @Test func poolMarksTheContainingBlock() {
    #expect(
      kd(d, "!pool e1000070") == [
        "Pool page e1000070 region is Paged pool",
        " e1000000 size:   20 previous size:    0  (Allocated)  Abc ",
        " e1000020 size:   40 previous size:   20  (Free)       Tron",
        "*e1000060 size:  100 previous size:   40  (Allocated) *Abc ",
        "\t\tOwning component : Unknown (update pooltag.txt)",
        " e1000160 size:  ea0 previous size:  100  (Allocated)  IoN7 (Protected)",
      ])
    #expect(kd(d, "!pool e1000070 2").count == 3)
    #expect(
      kd(d, "!pool e1002010") == [
        "Pool page e1002010 region is Paged pool",
        "*e1002000 : large page allocation, tag is Abc , size is 0x1000 bytes",
        "\t\tOwning component : Unknown (update pooltag.txt)",
      ])
  }

  @Test func patchingTheTagImmediateSplitsACallSite() {
    // The walkthrough's step 8: make the call site allocate with 'Abc1'.
    #expect(
      kd(d, "eb leaky!LeakyAllocate+4 31; u leaky!LeakyAllocate L1").last
        == "f8a112c0 6841626331      push    31636241h")
  }
}
