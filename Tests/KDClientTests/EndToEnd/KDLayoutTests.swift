import Foundation
import KDTestSupport
import Testing

/// KD's own output layouts (issue 16, item 1), each pinned from the reference captures against the real
/// embedded target (`kd` with no `--connect`).
@Suite struct KDLayoutTests {
  /// The lines each `kd> command` of `commands` printed (one entry a run of the command).
  static func outputs(_ commands: String, of command: String, _ options: [String] = []) -> [[String]] {
    outputs(in: PoolPageTests.outputs(commands, options), of: command)
  }

  /// The lines each `kd> command` printed in the transcript `out`.
  static func outputs(in out: String, of command: String) -> [[String]] {
    WalkthroughTests.outputs(out, of: command).map { text in
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.last == "" { lines.removeLast() }  // the transcript's final newline
      return lines
    }
  }

  @Test func lnPrintsEachSymbolsOwnAddress() {
    #expect(
      Self.outputs("ln 804d8016; ln nt!ExFreePoolWithTag", of: "ln 804d8016").first == [
        "(804d8000)   nt!ExAllocatePoolWithTag+0x16   |  (804d8020)   nt!ExFreePoolWithTag"
      ])
    #expect(
      Self.outputs("ln nt!ExFreePoolWithTag", of: "ln nt!ExFreePoolWithTag").first?.first
        == "(804d8020)   nt!ExFreePoolWithTag   |  (804d8040)   nt!ExAllocatePool")
  }

  /// `!poolused 1`: KD's verbose header (`NonPaged`, 20 spaces, `Paged`) and a TOTAL line with the eight sums of
  /// the rows, each `%8` after `TOTAL` and four spaces.
  @Test func poolusedVerboseHasKDsHeaderAndEightTotals() throws {
    for flags in ["1", "3"] {
      // A second of running first: every driver has allocated by then.
      let lines = try #require(Self.outputs(".runfor 1; !poolused \(flags)", of: "!poolused \(flags)").first)
      #expect(lines[3] == "            NonPaged                    Paged")
      #expect(lines[4] == " Tag    Allocs    Frees     Diff     Used   Allocs    Frees     Diff     Used")
      let rows = lines[5..<(lines.count - 1)].map { $0.dropFirst(5).split(separator: " ").compactMap { UInt64($0) } }
      #expect(rows.count > 3 && rows.allSatisfy { $0.count == 8 }, "\(lines)")
      let sums = (0..<8).map { c in rows.reduce(0) { $0 + $1[c] } }
      let total = try #require(lines.last)
      #expect(total == " TOTAL    " + sums.map { String($0).leftPadded(8) }.joined(separator: " "), "\(lines)")
    }
  }

  /// `!poolfind` reads its arguments as KD's extension does: four characters of tag as typed (padded with
  /// spaces; none at all is the tag of four spaces), then the pool type; a blank line follows big-page rows.
  @Test func poolfindReadsArgumentsAsKDAndSpacesBigPageRows() throws {
    let commands = ["!poolfind", "!poolfind Ab 1", "!poolfind Abc 1", "!poolfind Ggb 1", "!poolfind Gla5"]
    let out = PoolPageTests.outputs(".runfor 1; " + commands.joined(separator: "; "))
    func lines(_ command: String) -> [String] {  // padded so that a short output fails an expectation, not traps
      (Self.outputs(in: out, of: command).first ?? []) + Array(repeating: "", count: 6)
    }
    #expect(lines("!poolfind")[1].hasPrefix("Scanning large pool allocation table for Tag:      ("), "\(out)")
    #expect(lines("!poolfind")[3].hasPrefix("Searching NonPaged pool ("), "\(out)")
    #expect(lines("!poolfind")[3].hasSuffix(") for Tag:     "), "\(out)")
    #expect(lines("!poolfind Ab 1")[3].hasPrefix("Searching NonPaged pool ("), "\(out)")
    #expect(lines("!poolfind Ab 1")[3].hasSuffix(") for Tag: Ab 1"), "\(out)")
    #expect(lines("!poolfind Abc 1")[3].hasSuffix(") for Tag: Abc "), "\(out)")
    #expect(lines("!poolfind Abc 1")[3].hasPrefix("Searching Paged pool ("), "\(out)")
    // Nonpaged pool is searched as XP lays it out: the initial range, then the expansion.
    let gla5 = lines("!poolfind Gla5")
    let second = try #require(gla5.lastIndex { $0.hasPrefix("Searching ") }, "\(gla5)")
    #expect(gla5[3] == "Searching NonPaged pool (81000000 : 85000000) for Tag: Gla5", "\(gla5)")
    #expect(gla5[4] == "" && gla5[5].hasSuffix(" (Allocated) Gla5"), "\(gla5)")
    #expect(gla5[second] == "Searching NonPaged pool (fd000000 : ffbe0000) for Tag: Gla5", "\(gla5)")
    #expect(gla5[second - 1] == "" && gla5[second + 1] == "", "\(gla5)")
    // Ggb's 40 KiB blocks are big-page allocations (one made at boot).
    let ggb = lines("!poolfind Ggb 1")
    #expect(Array(ggb[0...2]) == ["", "Scanning large pool allocation table for Tag: Ggb  (8081c000 : 8084c000)", ""])
    let searching = try #require(ggb.firstIndex { $0.hasPrefix("Searching ") }, "\(ggb)")
    #expect(ggb[searching] == "Searching Paged pool (e1000000 : ed000000) for Tag: Ggb ")
    try #require(searching >= 5, "\(ggb)")
    #expect(ggb[searching - 1] == "", "\(ggb)")
    for row in ggb[3..<(searching - 1)] {
      #expect(
        row.hasPrefix("*") && row.contains("large page allocation, Tag ") && row.hasSuffix(" 0xa000 bytes"), "\(ggb)")
    }
  }

  /// `g Address` stops at its one-time breakpoint with only the location and the instruction, no exception line.
  @Test func goToAnAddressPrintsOnlyTheLocation() {
    #expect(
      Self.outputs("g nt!ExFreePool", of: "g nt!ExFreePool").first == [
        "nt!ExFreePool:", "804d8060 55              push    ebp",
      ])
  }

  /// After `p` and `t` the flags are the guest's: the trap flag the step used is not in `efl` (KD's dump
  /// shows the same `efl` before and after a step that changes no flag).
  @Test func stepsLeaveTheTrapFlagOutOfEfl() throws {
    let out = PoolPageTests.outputs("g nt!ExFreePool; r efl; p; r efl; t; r efl")
    let efl = WalkthroughTests.outputs(out, of: "r efl").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    #expect(efl.count == 3 && Set(efl).count == 1, "\(out)")
    let value = try #require(UInt32(efl[0].dropFirst(4), radix: 16), "\(out)")
    #expect(value & 0x100 == 0)
    for step in ["p", "t"] {
      let dump = try #require(WalkthroughTests.outputs(out, of: step).first)
      #expect(dump.contains("efl=\(efl[0].dropFirst(4))"), "\(dump)")
    }
  }

  /// `kv` has no FPO data to show (no PDB frame data on this target): its frames are `kb`'s, as KD prints frames
  /// of modules without it (the reference's `nt!` frames), never an invented `(FPO: [Non-Fpo])`.
  @Test func kvAddsNoFPONoteWithoutFrameData() throws {
    let out = PoolPageTests.outputs("g nt!ExFreePool; kb; kv")
    let kb = try #require(Self.outputs(in: out, of: "kb").first)
    let kv = try #require(Self.outputs(in: out, of: "kv").first)
    #expect(kb.first == "ChildEBP RetAddr  Args to Child" && kb.count > 1, "\(kb)")
    #expect(kb[1].hasSuffix(" nt!ExFreePool"), "\(kb)")
    #expect(kv == kb)
  }

  /// The connect banner says when the debugger connected and that it asked for the initial break; dates pad a
  /// one-digit day with a space (`Dec  1`), as KD's do.
  @Test func bannerSaysWhenAndThatTheInitialBreakWasRequested() throws {
    let lines = PoolPageTests.outputs("vertarget").split(separator: "\n").map(String.init)
    let date =
      #"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] "#
      + #"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} 2[0-9]{3} \(UTC \+ 0:00\)"#
    let connected = try Regex(
      #"Connected to Windows Server 2003 3790 x86 compatible target at \("# + date + #"\), ptr64 FALSE"#)
    #expect(try connected.wholeMatch(in: lines[0]) != nil, "\(lines[0])")
    #expect(lines[1] == "Kernel Debugger connection established.  (Initial Breakpoint requested)")
    let session = try #require(lines.first { $0.hasPrefix("Debug session time: ") })
    #expect(try Regex(date).wholeMatch(in: session.dropFirst("Debug session time: ".count)) != nil, "\(session)")
  }

  /// An indirect call through a driver's import slot names the slot as KD does (`_imp__` + the import), from the
  /// object's own `__imp_` symbol that the loader bound the slot for.
  @Test func uNamesTheImportSlotOfAnIndirectCall() throws {
    let out = PoolPageTests.outputs("u Abc!AbcBuildRequest L6; x Abc!_imp_*")
    let u = try #require(Self.outputs(in: out, of: "u Abc!AbcBuildRequest L6").first)
    #expect(u.last == "f7a0100d ff159420a0f7    call    dword ptr [Abc!_imp__ExAllocatePoolWithTag (f7a02094)]", "\(u)")
    let x = try #require(Self.outputs(in: out, of: "x Abc!_imp_*").first)
    #expect(x.contains("f7a02094   Abc!_imp__ExAllocatePoolWithTag = <no type information>"), "\(x)")
  }

  /// An expression that reads unreadable memory: KD's `Memory access error at '<rest>'`, from the operand's
  /// closing parenthesis, not a caret line.
  @Test func poiOfUnreadableMemoryIsAnErrorAtTheParenthesis() {
    let out = PoolPageTests.outputs("? poi(0); ? poi(0)+1; dd poi(0)")
    #expect(Self.outputs(in: out, of: "? poi(0)").first == ["Memory access error at ')'"], "\(out)")
    #expect(Self.outputs(in: out, of: "? poi(0)+1").first == ["Memory access error at ')+1'"], "\(out)")
    #expect(Self.outputs(in: out, of: "dd poi(0)").first == ["Memory access error at ')'"], "\(out)")
  }

  /// `.formats` prints a quiet NaN as MSVC-era KD does: `-1.#QNAN` (sign bit set), `1.#QNAN`.
  @Test func formatsPrintsNaNAsMSVCDoes() throws {
    let out = PoolPageTests.outputs(".formats ffffffff; .formats 7fc00000")
    let negative = try #require(Self.outputs(in: out, of: ".formats ffffffff").first)
    #expect(negative.suffix(2) == ["  Float:   low -1.#QNAN high -1.#QNAN", "  Double:  -1.#QNAN"], "\(negative)")
    let positive = try #require(Self.outputs(in: out, of: ".formats 7fc00000").first)
    #expect(positive.suffix(2) == ["  Float:   low 1.#QNAN high 0", "  Double:  1.05893e-314"], "\(positive)")
  }
}

extension String {
  /// Right-aligned in `width` columns, as printf's `%8` does (a longer string is left whole).
  fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
