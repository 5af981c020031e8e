import Foundation
import KDTestSupport
import Testing

/// `!pool` against the real embedded kernel (`kd` with no `--connect`): a pool page is described block by
/// block; an address that is not pool, or a page whose header chain is broken, gets KD's lines for that
/// case instead of a block invented from whatever bytes are there (issue 10).
@Suite struct PoolPageTests {
  static func outputs(_ commands: String, _ options: [String] = []) -> String {
    let result = run(builtExecutable("kd"), options + ["--timeout", "60", "-c", commands])
    #expect(result.status == 0, "kd failed: \(result.stderr)")
    return result.stdout
  }

  @Test func notPoolAndCorruptPagesAreSaidToBeSo() {
    // 804da000 is nt's globals; 81000000 is nonpaged pool's first page (KTHREADs, loader entries, ...), whose
    // second header (MmLd, 0216004c: PreviousSize 0x4c units, BlockSize 0x16, PoolType 1) is then broken
    // three ways: a zero BlockSize, a PreviousSize one unit short, a BlockSize that leaves the page.
    let out = Self.outputs(
      "!pool 804da000; !pool 0; !pool 81000010 2; ed 81000260 0; !pool 81000010; ed 81000260 0216004b; "
        + "!pool 81000020; ed 81000260 03ff004c; !pool 81000030")
    /// The lines `!pool ARGS` printed in `out`.
    func pool(_ args: String) -> [String] {
      (WalkthroughTests.outputs(out, of: "!pool " + args).first ?? "").split(separator: "\n").map(String.init)
    }
    func notPool(_ address: String, _ diagnosis: String...) -> [String] {
      [
        "\(address) is not a valid small pool allocation, checking large pool...",
        "\(address) is freed (or corrupt) pool",
      ] + diagnosis
    }
    #expect(
      pool("804da000")
        == ["Pool page 804da000 region is Unknown"]
        + notPool("804da000", "Bad previous allocation size @804da000, last size was 0"), "\(out)")
    #expect(!out.contains("*804da000 size:"))
    #expect(pool("0") == ["Pool page 00000000 region is Unknown"] + notPool("00000000"))
    #expect(
      pool("81000010 2") == [
        "Pool page 81000010 region is Nonpaged pool",
        "*81000000 size:  260 previous size:    0  (Allocated) *Thre",
        "\t\tOwning component : Unknown (update pooltag.txt)",
      ])
    #expect(
      pool("81000010")
        == ["Pool page 81000010 region is Nonpaged pool"]
        + notPool("81000010", "Bad allocation size @81000260, zero is invalid"))
    #expect(
      pool("81000020").dropFirst()
        == notPool("81000020", "Bad previous allocation size @81000260, last size was 260")[...])
    #expect(pool("81000030").dropFirst() == notPool("81000030", "Bad allocation size @81000260, too large")[...])
  }
}

/// A big-page table entry is target memory: a page count whose size does not fit 32 bits (0x100000 pages is
/// 4 GiB) is printed as what it says, and `!poolfind` goes on, where the size was once multiplied unchecked
/// and trapped kd (issue 10).
@Suite struct BigPageEntryTests {
  @Test func anAbsurdPageCountIsPrintedNotTrapped() {
    let out = PoolPageTests.outputs(
      "ed poi(nt!PoolBigPageTable) poi(nt!MmPagedPoolStart) 20676942 00100000; !pool poi(nt!MmPagedPoolStart); "
        + "!poolfind Big 1")
    #expect(out.contains("large page allocation, tag is Big , size is 0x100000000 bytes"), "\(out)")
    #expect(out.contains("kd> !poolfind Big 1"), "\(out)")
  }
}
