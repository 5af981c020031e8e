import Testing

@testable import KDClient

@Suite struct MemoryCommandTests {
  let t = XPImage.make()
  var d: Debugger { Debugger(target: t) }

  @Test func poolHitTagStartsAtItsInitialValue() {
    #expect(kd(d, "dd nt!PoolHitTag L1") == ["80550000  ffffff0f"])
  }

  @Test func armingWithTheReversedTagStoresTheTagInMemoryOrder() {
    let d = self.d
    #expect(kd(d, "ed nt!poolhittag ' cbA'") == [])
    #expect(kd(d, "db nt!poolhittag L4") == ["80550000  41 62 63 20" + String(repeating: " ", count: 38) + "Abc "])
    #expect(kd(d, "dd nt!poolhittag l1") == ["80550000  20636241"])
    #expect(kd(d, "ed nt!poolhittag 0; dd nt!poolhittag L1") == ["80550000  00000000"])
  }

  @Test func dbFullLinesHaveTheHyphenAndAscii() {
    let lines = kd(d, "db f8a11800 L20")
    #expect(
      lines == [
        "f8a11800  4c 65 61 6b 20 6f 66 20-74 61 67 20 41 62 63 20  Leak of tag Abc ",
        "f8a11810  00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00  ................",
      ])
  }

  @Test func dbExactlyEightBytesHasNoHyphen() {
    #expect(
      kd(d, "db f8a11800 L8") == ["f8a11800  4c 65 61 6b 20 6f 66 20" + String(repeating: " ", count: 26) + "Leak of "])
  }

  @Test func unreadableMemoryShowsQuestionMarks() {
    #expect(kd(d, "db e1001000 L10") == ["e1001000  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????"])
    #expect(kd(d, "dd e1000ff8 L4") == ["e1000ff8  00000000 00000000 ???????? ????????"])
  }

  @Test func dcPartialLinePadsToTheAsciiColumn() {
    #expect(kd(d, "dc f8a11800 l1") == ["f8a11800  6b61654c" + String(repeating: " ", count: 29) + "Leak"])
    #expect(kd(d, "dc f8a11800 f8a1180f") == ["f8a11800  6b61654c 20666f20 20676174 20636241  Leak of tag Abc "])
  }

  @Test func dwDqAndRanges() {
    #expect(kd(d, "dw f8a11800 L3") == ["f8a11800  654c 6b61 6f20"])
    #expect(kd(d, "dq f8a11800 L2") == ["f8a11800  20666f20`6b61654c 20636241`20676174"])
    #expect(kd(d, "dd f8a11800 f8a11807") == ["f8a11800  6b61654c 20666f20"])
  }

  @Test func daAndDuStopAtTheTerminator() {
    #expect(kd(d, "da f8a11800") == ["f8a11800  \"Leak of tag Abc \""])
    let d = self.d
    #expect(kd(d, "eza f8a11800 \"hi\"; da f8a11800") == ["f8a11800  \"hi\""])
    #expect(kd(d, "eb f8a11800 'h' 0 'i' 0 0 0; du f8a11800") == ["f8a11800  \"hi\""])
  }

  @Test func bareDisplayContinuesAfterTheLastOne() {
    let d = self.d
    _ = kd(d, "dd f8a11800 L1")
    #expect(kd(d, "dd L1") == ["f8a11804  20666f20"])
    let repeated = kd(d, "")
    #expect(repeated.count == 8)
    #expect(repeated.first == "f8a11808  20676174 20636241 00000000 00000000")
  }

  @Test func enterRejectsWritesToUnmappedMemory() {
    #expect(kd(d, "ed e1001000 1") == ["Memory access error at 'e1001000'"])
  }

  @Test func searchFindsTagImmediatesInDriverCode() {
    let lines = kd(d, "s -a f8a10000 L2000 \"Abc\"")
    #expect(lines.count == 2)
    #expect(lines[0] == "f8a112c1  41 62 63 20 6a 40 6a 01-e8 32 9d b3 87 c3 00 00  Abc j@j..2......")
    #expect(lines[1].hasPrefix("f8a1180c  41 62 63 20 00"))
    #expect(
      kd(d, "s -d f8a10000 L800 20636241") == [
        "f8a112c1  20636241 016a406a b39d32e8 0000c387  Abc j@j..2......",
        "f8a1180c  20636241 00000000 00000000 00000000  Abc ............",
      ])
  }
}
