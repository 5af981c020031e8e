import Testing

@testable import KDClient

/// `!poolval`'s header analysis over a crafted page: KD's verdict and its lines for each kind of broken link.
@Suite struct PoolValidationTests {
  /// A page of blocks of `units` 8-byte units each, headers chained as the pool writes them.
  static func page(_ units: [UInt32]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 0x1000)
    var offset = 0
    var last: UInt32 = 0
    for u in units {
      let header = last | u << 16 | 1 << 25
      for i in 0..<4 { bytes[offset + i] = UInt8((header >> (8 * UInt32(i))) & 0xff) }
      offset += Int(u) * 8
      last = u
    }
    return bytes
  }

  static let units: [UInt32] = [9, 9, 0x200 - 18]

  @Test func aWellChainedPageIsValid() {
    let v = PoolValidation(page: 0xe100_0000, bytes: Self.page(Self.units))
    #expect(v.valid)
    #expect(v.lines == ["", "Pool page [ e1000000 ] is VALID.", ""])
  }

  @Test func aBrokenPreviousSizeIsPutRightFromTheBlockBefore() {
    var bytes = Self.page(Self.units)
    bytes[0x48] = 0x41  // the second header's PreviousSize: 9 -> 0x41
    let v = PoolValidation(page: 0xe100_0000, bytes: bytes)
    #expect(
      v.lines == [
        "", "Pool page [ e1000000 ] is INVALID.", "", "Analyzing linked list...",
        "[ e1000048 ]: invalid previous size [ 0x41 ] should be [ 0x9 ]", "", "", "Scanning for single bit errors...",
        "", "None found", "",
      ])
  }

  @Test func aBrokenBlockSizeIsPutRightFromTheHeaderPointingBack() {
    var bytes = Self.page(Self.units)
    bytes[0x4a] = 0x0b  // the second header's BlockSize: 9 -> 0xb, one bit off
    let v = PoolValidation(page: 0xe100_0000, bytes: bytes)
    #expect(!v.valid)
    #expect(v.fixes == [.init(node: 0xe100_0048, field: .blockSize, found: 0xb, expected: 9)])
    #expect(
      v.lines == [
        "", "Pool page [ e1000000 ] is INVALID.", "", "Analyzing linked list...",
        "[ e1000048 ]: invalid block size [ 0xb ] should be [ 0x9 ]", "", "", "Scanning for single bit errors...",
        "[ e1000048 ]: block size [ 0xb ] should be [ 0x9 ]", "",
      ])
  }

  @Test func aChainThatStopsShortIsInvalid() {
    var bytes = Self.page(Self.units)
    bytes[0x4a] = 0  // a zero BlockSize, and nothing else points back
    bytes[0x92] = 0
    bytes[0x90] = 0
    let v = PoolValidation(page: 0xe100_0000, bytes: bytes)
    #expect(!v.valid)
    #expect(v.fixes.isEmpty)
    #expect(v.lines.last == "")
    #expect(v.lines.contains("None found"))
    let short = PoolValidation(page: 0xe100_0000, bytes: Array(Self.page(Self.units).prefix(0x48)))
    #expect(!short.valid && short.fixes.isEmpty)
  }
}

/// `!poolused 8` (session pool) and `lm`'s module column, pinned from kdexts and the reference capture.
@Suite struct PoolUsedSessionAndModuleColumnTests {
  @Test func poolusedSessionFlagStopsAsKdextsDoesWithoutASessionTable() {
    let d = Debugger(target: XPImage.make())
    #expect(kd(d, "!poolused 8") == ["Unable to get ExpSessionPoolTrackTable"])
    #expect(kd(d, "!poolused 9 Abc") == ["Unable to get ExpSessionPoolTrackTable"])
  }

  /// The reference's x86 `lm` capture, `f9f73000 f9f7fd80   sysaudio     (deferred)`: the status starts 13
  /// columns after the module name's start (a 12-wide name field and a space).
  @Test func lmModuleColumnIsTheReferenceCapturesWidth() throws {
    let reference = "f9f73000 f9f7fd80   sysaudio     (deferred)"
    let referenceColumn = try #require(reference.firstIndex(of: "(")).utf16Offset(in: reference)
    let d = Debugger(target: XPImage.make())
    for row in kd(d, "lm o").dropFirst() {
      #expect(row.firstIndex(of: "(")?.utf16Offset(in: row) == referenceColumn, "\(row)")
      #expect(row.dropFirst(20).prefix(13).last == " ")
    }
  }
}
