import Testing

@testable import KDClient

@Suite struct PoolMonTests {
  let t = XPImage.make()

  @Test func rowLayoutMatchesPoolMon() {
    let r = PoolMonRow(
      tag: "Wait", paged: false, counters: .init(allocs: 3_971_107, frees: 3_971_077, bytes: 8456),
      previous: .init(allocs: 3_971_107, frees: 3_971_077, bytes: 8456), isNew: false)
    #expect(PoolMonView.row(r) == " Wait Nonp    3971107 (   0)   3971077 (   0)       30    8456 (     0)    281")
    let k = PoolMonRow(
      tag: "Key ", paged: true, counters: .init(allocs: 954_821, frees: 953_979, bytes: 87528),
      previous: .init(allocs: 954_821, frees: 953_979, bytes: 87528), isNew: false)
    #expect(PoolMonView.row(k) == " Key  Paged    954821 (   0)    953979 (   0)      842   87528 (     0)    103")
  }

  @Test func secondSampleShowsChangesAndHighlightsThem() throws {
    let d = Debugger(target: t)
    var mon = PoolMon()
    mon.include = ["Abc?"]
    let first = try d.poolSnapshot(&mon)
    #expect(first.rows.count == 1)
    #expect(first.rows[0].changed == false)
    // Three more 'Abc ' allocations of 0x20 bytes in paged pool.
    t.putU32(XPImage.trackTable + 0x10, 36508)
    t.putU32(XPImage.trackTable + 0x18, 33_930_272 + 0x60)
    let second = try d.poolSnapshot(&mon)
    let row = try #require(second.rows.first)
    #expect(row.allocsChange == 3)
    #expect(row.bytesChange == 0x60)
    #expect(PoolMonView.row(row) == " Abc  Paged     36508 (   3)       100 (   0)    36408 33930368 (    96)    931")
    #expect(second.render(ansi: true).last == "\u{1b}[7m" + PoolMonView.row(row) + "\u{1b}[0m")
    #expect(second.lines.dropFirst(2).first == PoolMonView.columnHeader)
  }

  @Test func sortingFilteringAndKeys() throws {
    let d = Debugger(target: t)
    var mon = PoolMon()
    let ok155 = mon.apply(option: "/b")
    #expect(ok155)
    var v = try d.poolSnapshot(&mon)
    #expect(v.rows.first?.tag == "Abc ")
    #expect(v.rows.map(\.tag).contains("Done"))
    let ok97 = mon.handleKey("p")
    #expect(ok97)
    v = try d.poolSnapshot(&mon)
    #expect(v.rows.allSatisfy { !$0.paged })
    let ok689 = mon.apply(option: "/xG*")
    #expect(ok689)
    let ok733 = mon.handleKey("t")
    #expect(ok733)
    v = try d.poolSnapshot(&mon)
    #expect(v.rows.map(\.tag) == ["Done"])
    let ok52 = mon.handleKey("z")
    #expect(!ok52)
  }

  @Test func poolmonCommandPrintsASnapshot() {
    let d = Debugger(target: t)
    let lines = kd(d, "!poolmon /b")
    #expect(lines[2] == PoolMonView.columnHeader)
    #expect(lines[4] == " Abc  Paged     36505 (   0)       100 (   0)    36405 33930272 (     0)    932")
  }
}

@Suite struct CommandLineTests {
  func status(_ args: [String], target: MemoryTarget? = XPImage.make()) throws -> Int32 {
    let command = try #require(try KDCommand.parseAsRoot(args) as? KDCommand)
    return command.execute { _ in
      guard let target else {
        throw RemoteError.transport(
          ConnectFailure(cause: .unreachable, peer: "h:1", reason: "refused", call: "connect", errno: 111))
      }
      return target
    }
  }

  @Test func scriptExitStatuses() throws {
    #expect(try status(["--json", "-c", "? 1; q"]) == 0)
    #expect(try status(["--json", "-c", "dd nosuch; ? 1"]) == 0)
    #expect(try status(["--json", "--stop-on-error", "-c", "dd nosuch; ? 1"]) == 1)
    #expect(try status(["--json", "-c", "? 1"], target: nil) == 69)
    #expect(try status(["--json", "--timeout", "0", "-c", "g"]) == 75)
  }

  @Test func optionValidation() {
    #expect(throws: (any Error).self) { try KDCommand.parseAsRoot(["--connect", "nohost"]) }
    #expect(throws: (any Error).self) { try KDCommand.parseAsRoot(["--ca", "a", "--fingerprint", "b"]) }
    #expect(throws: (any Error).self) { try KDCommand.parseAsRoot(["--cert", "a"]) }
    #expect(throws: (any Error).self) { try KDCommand.parseAsRoot(["poolmon", "--sort", "z"]) }
    let mon =
      try? KDCommand.parseAsRoot(["poolmon", "--count", "1", "--json", "--connect", "h:1"]) as? PoolMonSubcommand
    #expect(mon?.root.json == true)
    #expect(mon?.root.connection.connect == "h:1")
    #expect(mon?.count == 1)
  }
}
