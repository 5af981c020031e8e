import Testing

@testable import KDClient

@Suite struct ExpressionTests {
  let d = Debugger(target: XPImage.make())

  func eval(_ s: String) -> [String] { kd(d, "? " + s) }

  @Test func multiCharacterConstantIsMostSignificantFirstAndNotCorrected() {
    #expect(eval("' cbA'") == ["Evaluate expression: 543384129 = 20636241"])
    #expect(eval("'Abc '") == ["Evaluate expression: 1096966944 = 41626320"])
    #expect(eval("'cbA'") == ["Evaluate expression: 6513217 = 00636241"])
  }

  @Test func radixPrefixesAndDefaultHex() {
    #expect(eval("10") == ["Evaluate expression: 16 = 00000010"])
    #expect(eval("0n10") == ["Evaluate expression: 10 = 0000000a"])
    #expect(eval("0y101") == ["Evaluate expression: 5 = 00000005"])
    #expect(eval("0t17") == ["Evaluate expression: 15 = 0000000f"])
    #expect(eval("4ab3h") == ["Evaluate expression: 19123 = 00004ab3"])
    #expect(eval("0x1`00000000") == ["Evaluate expression: 4294967296 = 00000001`00000000"])
  }

  @Test func kernelSignExtensionOfHighAddresses() {
    #expect(eval("80000000") == ["Evaluate expression: -2147483648 = 80000000"])
    #expect(eval("0`80000000") == ["Evaluate expression: 2147483648 = 80000000"])
  }

  @Test func precedenceAndOperators() {
    #expect(eval("2+3*4") == ["Evaluate expression: 14 = 0000000e"])
    #expect(eval("(2+3)*4") == ["Evaluate expression: 20 = 00000014"])
    #expect(eval("1 << 4 + 1") == ["Evaluate expression: 32 = 00000020"])
    #expect(eval("7 mod 3") == ["Evaluate expression: 1 = 00000001"])
    #expect(eval("3 == 3 and 1") == ["Evaluate expression: 1 = 00000001"])
    #expect(eval("5 > 6") == ["Evaluate expression: 0 = 00000000"])
    #expect(eval("hi 12345678") == ["Evaluate expression: 4660 = 00001234"])
    #expect(eval("-1") == ["Evaluate expression: -1 = ffffffff"])
  }

  @Test func symbolsAreCaseInsensitiveAddresses() {
    #expect(eval("nt!poolhittag") == ["Evaluate expression: -2141913088 = 80550000"])
    #expect(eval("nt!PoolHitTag+4") == ["Evaluate expression: -2141913084 = 80550004"])
    #expect(eval("nt!ExAllocatePoolWithTag+0x881") == ["Evaluate expression: -2141931391 = 8054b881"])
    #expect(eval("leaky") == ["Evaluate expression: -123666432 = f8a10000"])
  }

  @Test func memoryOperatorsReadTheTarget() {
    #expect(eval("poi(nt!PoolTrackTable)") == ["Evaluate expression: -2141847552 = 80560000"])
    #expect(eval("dwo(nt!poolhittag)") == ["Evaluate expression: 4294967055 = ffffff0f"])
    #expect(eval("by(nt!poolhittag)") == ["Evaluate expression: 15 = 0000000f"])
    #expect(eval("wo(nt!poolhittag+2)") == ["Evaluate expression: 65535 = 0000ffff"])
  }

  @Test func registersWithAndWithoutAt() {
    #expect(eval("@ecx") == ["Evaluate expression: 16 = 00000010"])
    #expect(eval("ecx+1") == ["Evaluate expression: 17 = 00000011"])
    #expect(eval("@eip") == ["Evaluate expression: -2141931391 = 8054b881"])
  }

  @Test func unresolvableSymbolQuotesTheRestOfTheLine() {
    #expect(
      kd(d, "dd KiGlobalTimerResolutionRequests L1") == [
        "Couldn't resolve error at 'KiGlobalTimerResolutionRequests L1'"
      ])
    #expect(eval("nt!NoSuchThing+4") == ["Couldn't resolve error at 'nt!NoSuchThing+4'"])
  }

  @Test func syntaxErrorPutsTheCaretUnderTheOffendingCharacter() {
    // "kd> " is 4 wide; `)` sits at offset 5 of "? 1+2)".
    #expect(eval("1+2)") == ["         ^ Syntax error in '? 1+2)'"])
    #expect(kd(d, "zz") == ["     ^ Syntax error in 'zz'"])
    #expect(eval("1/0") == ["       ^ Operand error in '? 1/0'"])
  }

  @Test func badRegister() {
    #expect(kd(d, "r $s7 = 0") == ["      ^ Bad register error in 'r $s7 = 0'"])
  }
}
