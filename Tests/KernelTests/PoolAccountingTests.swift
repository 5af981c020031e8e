import Testing

@testable import KDKernel

@Suite struct PoolAccountingTests {
  /// `!poolused 4` from kernel memory: after three virtual minutes `Abc ` leads by paged bytes, the
  /// walkthrough's other tags follow, and the count of allocated `Abc ` blocks found by walking the
  /// paged pool pages agrees with the tracking table.
  @Test func defaultScenarioRanksAbcFirstByPagedBytes() throws {
    let h = try Harness()
    try h.run(seconds: 180)
    let table = try h.trackTable()
    let ranked = table.sorted { $0.value[5] > $1.value[5] }.map(\.key)
    #expect(ranked.first == "Abc ")
    for tag in ["Tron", "IoN7", "Gla5", "Ggb "] { #expect(ranked.dropFirst().contains(tag), "\(tag) missing") }
    let abc = try #require(table["Abc "])
    let tron = try #require(table["Tron"])
    // Walkthrough proportions: Tron a fraction of Abc's bytes, IoN7 many small blocks.
    #expect(tron[5] * 2 < abc[5])
    #expect(tron[5] * 20 > abc[5])
    #expect(table["IoN7"]![3] - table["IoN7"]![4] > 500)
    let gla5 = try #require(table["Gla5"])
    #expect(gla5[0] - gla5[1] == 1 && gla5[2] == 128)  // one nonpaged block of 120 bytes + header
    #expect(gla5[3] - gla5[4] > 100)

    // Walk the paged pool's pages header by header, skipping big allocations' pages, and count
    // allocated 'Abc ' blocks.
    let bigTable = try h.readU32(try h.nt("PoolBigPageTable"))
    let bigRaw = try h.read(bigTable, Int(try h.readU32(try h.nt("PoolBigPageTableSize"))) * 12)
    var bigPages = Set<UInt32>()
    for i in stride(from: 0, to: bigRaw.count, by: 12) {
      let e = (0..<3).map { k in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bigRaw[i + k * 4 + $1]) << (8 * UInt32($1)) } }
      if e[0] != 0, e[0] & 1 == 0 { for p in 0..<e[2] { bigPages.insert(e[0] + p << 12) } }
    }
    let start = try h.readU32(try h.nt("MmPagedPoolStart"))
    var blocks: UInt32 = 0
    var bytes: UInt32 = 0
    var page = start
    while true {
      let data = try h.read(page, 0x1000)
      guard data.count == 0x1000 else { break }
      defer { page += 0x1000 }
      if bigPages.contains(page) { continue }
      var o = 0
      while o < 0x1000 {
        let u = UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24
        let header = PoolHeader(ulong0: u, tag: 0)
        if header.blockUnits == 0 { break }  // a big-page allocation's page, not a chain
        if header.poolType == 2, Array(data[o + 4..<o + 8]) == Array("Abc ".utf8) {
          blocks += 1
          bytes += header.blockUnits * 8
        }
        o += Int(header.blockUnits) * 8
      }
    }
    #expect(blocks == abc[3] - abc[4])
    #expect(bytes == abc[5])

    // And it keeps growing.
    try h.run(seconds: 60)
    #expect(try h.trackTable()["Abc "]![5] > abc[5])
  }

  @Test func bigAllocationsAreInTheBigPageTable() throws {
    let h = try Harness()
    try h.run(seconds: 30)
    let table = try h.readU32(try h.nt("PoolBigPageTable"))
    let size = try h.readU32(try h.nt("PoolBigPageTableSize"))
    let raw = try h.read(table, Int(size) * 12)
    var tronPages: UInt32 = 0
    for i in 0..<Int(size) {
      let e = (0..<3).map { k in (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[i * 12 + k * 4 + $1]) << (8 * UInt32($1)) }
      }
      if e[0] != 0, e[0] & 1 == 0, tagString(e[1]) == "Tron" { tronPages += e[2] }
    }
    #expect(tronPages > 0)
    #expect(tronPages << 12 == (try h.trackTable())["Tron"]![5])
  }
}
