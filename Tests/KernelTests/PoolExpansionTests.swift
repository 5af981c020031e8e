import Testing

@testable import KDKernel

@Suite struct PoolExpansionTests {
  /// XP's two nonpaged ranges: nt's globals name the initial pool and its expansion, and once the initial pool
  /// is full, nonpaged allocations come from the expansion, with headers, the big-page table and frees working
  /// there as in the initial pool.
  @Test func nonPagedPoolSpillsIntoItsExpansion() throws {
    let h = try Harness()
    #expect(try h.readU32(try h.nt("MmNonPagedPoolStart")) == 0x8100_0000)
    #expect(try h.readU32(try h.nt("MmNonPagedPoolEnd0")) == 0x8500_0000)
    #expect(try h.readU32(try h.nt("MmNonPagedPoolExpansionStart")) == 0xfd00_0000)
    #expect(try h.readU32(try h.nt("MmNonPagedPoolEnd")) == 0xffbe_0000)

    let tag: UInt32 = 0x6c6c_6946  // 'Fill'
    let (big, small, lastInitial) = try h.kernel.sync { _ throws(KernelError) in
      let pools = h.kernel.currentMachine.pools
      var last: UInt32 = 0
      while true {  // 1 MiB at a time until the initial range has no room
        let a = try pools.allocate(poolType: 0, bytes: 0x10_0000, tag: tag)
        guard a != 0, a < 0x8500_0000 else { return (a, try pools.allocate(poolType: 0, bytes: 0x40, tag: tag), last) }
        last = a
      }
    }
    #expect(lastInitial >= 0x8100_0000 && lastInitial < 0x8500_0000)
    #expect(big == 0xfd00_0000, "first big allocation past the initial pool: \(String(big, radix: 16))")
    // The small block lands in the initial pool if a page is left there, else in the expansion; either way
    // it is a proper nonpaged block with its header.
    let header = try h.read(small - 8, 8)
    #expect(header[4..<8].elementsEqual([0x46, 0x69, 0x6c, 0x6c]))
    #expect(header[3] >> 1 == 1, "PoolType: nonpaged, in use")
    let table = try h.trackTable()
    let fill = try #require(table["Fill"])
    #expect(fill[0] - fill[1] >= 65, "outstanding nonpaged Fill allocations: \(fill)")

    let freed = try h.kernel.sync { _ throws(KernelError) in
      h.kernel.currentMachine.pools.free(big, passedTag: tag)
    }
    guard case .success(let block) = freed else {
      Issue.record("free in the expansion failed: \(freed)")
      return
    }
    #expect(block.bytes == 0x10_0000 && !block.paged)
    #expect(try h.trackTable()["Fill"]![1] == fill[1] + 1)
  }
}

@Suite struct UnloadedDriverRingTests {
  /// nt!MmUnloadedDrivers as XP keeps it: 24-byte entries with a counted UTF-16 name, start and end; the 51st
  /// unload overwrites the oldest and MmLastUnloadedDriver wraps.
  @Test func unloadsAreRecordedInTheRingAndWrap() throws {
    let h = try Harness()
    let ring = try h.readU32(try h.nt("MmUnloadedDrivers"))
    #expect(try h.readU32(try h.nt("MmLastUnloadedDriver")) == 0)
    #expect(try h.read(ring, 24 * 50).allSatisfy { $0 == 0 })
    try h.kernel.sync { _ throws(KernelError) in
      let nt = h.kernel.currentMachine.nt
      for i in 0..<51 {
        UnloadedDrivers.record(
          in: nt, name: "Drv\(i).sys", start: 0xf900_0000 + UInt32(i) << 16, end: 0xf900_3000 + UInt32(i) << 16,
          time: 10)
      }
    }
    #expect(try h.readU32(try h.nt("MmLastUnloadedDriver")) == 1)
    let first = try h.read(ring, 24)
    func u32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
    #expect(u32(first, 0) == 0x0012_0012, "Length and MaximumLength of Drv50.sys")
    let name = try h.read(u32(first, 4), 18)
    #expect(String(decoding: stride(from: 0, to: 18, by: 2).map { UInt16(name[$0]) }, as: UTF16.self) == "Drv50.sys")
    #expect(u32(first, 8) == 0xf932_0000 && u32(first, 12) == 0xf932_3000)
  }
}
