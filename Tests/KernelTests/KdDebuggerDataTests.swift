import Testing

@testable import KDKernel

@Suite struct KdDebuggerDataTests {
  /// KdVersionBlock, KdpDebuggerDataListHead and the KDBG block as XP and Server 2003 x86 lay them out: the list
  /// head's Flink is the block, the block's header is 'KDBG' with the era's size, its slots hold the addresses
  /// of nt's variables zero-extended, and KPCR+0x34 points at the version block.
  @Test(arguments: [(KernelEra.server2003, UInt32(0x318), UInt8(0x2e)), (.xp, 0x290, 0x2d)])
  func theDebuggerDataBlockIsWhereKDLooks(era: KernelEra, size: UInt32, maxManipulate: UInt8) throws {
    let h = try Harness(era: era)
    let head = try h.nt("KdpDebuggerDataListHead")
    let block = try h.nt("KdDebuggerDataBlock")
    #expect(try h.readU32(head) == block)
    #expect(try h.readU32(head + 4) == block)
    let kdbg = try h.read(block, 0x230)
    func slot(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(kdbg[o + $1]) << (8 * UInt64($1)) } }
    #expect(slot(0) == UInt64(head) | UInt64(head) << 32 && slot(8) == 0, "Header.List as a 32-bit LIST_ENTRY")
    #expect(Array(kdbg[0x10..<0x14]) == Array("KDBG".utf8) && slot(0x14) & 0xffff_ffff == UInt64(size))
    #expect(slot(0x18) == 0x804d_7000, "KernBase, zero-extended")
    #expect(slot(0x48) == UInt64(try h.nt("PsLoadedModuleList")))
    let trackTable = try h.nt("PoolTrackTable")
    #expect(slot(0x1b8) == UInt64(trackTable) && slot(0x138) == 0x1000)
    let (nonPagedStart, buildLab) = (try h.nt("MmNonPagedPoolStart"), try h.nt("NtBuildLab"))
    #expect(slot(0x110) == UInt64(nonPagedStart) && slot(0x208) == UInt64(buildLab))
    let versionBlock = try h.nt("KdVersionBlock")
    #expect(try h.readU32(0xffdf_f034) == versionBlock, "KPCR.KdVersionBlock")
    let v = try h.read(versionBlock, 0x28)
    #expect(UInt16(v[2]) | UInt16(v[3]) << 8 == era.buildNumber && v[4] == 6 && v[12] == maxManipulate)
    #expect(
      v[0x20..<0x28].elementsEqual(
        [UInt8(truncatingIfNeeded: head), UInt8(truncatingIfNeeded: head >> 8)]
          + [UInt8(truncatingIfNeeded: head >> 16), UInt8(truncatingIfNeeded: head >> 24), 0xff, 0xff, 0xff, 0xff]))
  }
}
