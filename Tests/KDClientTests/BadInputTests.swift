import Testing

@testable import KDClient

/// Bad input gives a clear message and the session stays usable.
@Suite struct BadInputTests {
  let d = Debugger(target: XPImage.make())

  @Test func arithmeticOverflowIsAnOperandError() {
    #expect(kd(d, "? 8000000000000000 / -1") == ["                       ^ Operand error in '? 8000000000000000 / -1'"])
    #expect(kd(d, "? 8000000000000000 % -1").first?.contains("Operand error") == true)
  }

  @Test func deepNestingIsRefusedNotRecursed() {
    let deep = String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000)
    #expect(kd(d, "? " + deep).first?.contains("Syntax error") == true)
    #expect(kd(d, "? " + String(repeating: "-", count: 3000) + "1").first?.contains("Syntax error") == true)
    #expect(kd(d, "? 1") == ["Evaluate expression: 1 = 00000001"])
  }

  @Test func hugeRangesAndIDListsAreRefused() {
    #expect(kd(d, "db 0 L?ffffffff").first?.hasPrefix("Range of") == true)
    #expect(kd(d, "db 0 L20000000").first?.contains("Syntax error") == true)
    #expect(kd(d, "bc 0-99999999999").first?.contains("Syntax error") == true)
    #expect(kd(d, "bp99999999999999999999999 0").first?.contains("Syntax error") == true)
  }

  @Test func overlongLinesAndGarbage() {
    #expect(d.run(String(repeating: "a", count: 5000)).first?.error?.hasPrefix("Command line too long") == true)
    for junk in [
      "\u{0}\u{1}", "dd \"", "ed", "eza 80550000 \"unterminated", "s -z 0 L1 1", "!poolfind Abc 9", "!pool", "lm m",
      "u 0 1 2 3", "r =", "x", ".formats", "bp nosuchsym", "k zz", "!gflag +", "$<",
    ] {
      let r = d.run(junk)
      #expect(r.allSatisfy { !$0.succeeded }, "\(junk) should fail")
    }
    #expect(kd(d, "dd nt!poolhittag L1") == ["80550000  ffffff0f"])
  }
}
