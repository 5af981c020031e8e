import KDCOM
import KDProtocol
import Testing

@Suite struct KDCOMDecoderTests {
  /// A GetVersion request as kd sends it after a reset: leader "0000", type 2, 56 bytes, id 0x80800800.
  static let getVersion: [UInt8] = {
    var p = [UInt8](repeating: 0, count: 56)
    p[0] = 0x46
    p[1] = 0x31
    return p
  }()

  @Test func aDataPacketIsFramedAsKDFramesIt() {
    let bytes = KDCOMPacket.data(type: .stateManipulate, id: 0x8080_0800, payload: Self.getVersion)
    #expect(Array(bytes[0..<16]) == [0x30, 0x30, 0x30, 0x30, 2, 0, 56, 0, 0x00, 0x08, 0x80, 0x80, 0x77, 0, 0, 0])
    #expect(bytes.count == 16 + 56 + 1 && bytes.last == 0xAA)
    #expect(
      KDCOMPacket.control(type: .acknowledge, id: 0x8080_0001) == [
        0x69, 0x69, 0x69, 0x69, 4, 0, 0, 0, 0x01, 0x00, 0x80, 0x80, 0, 0, 0, 0,
      ])
  }

  /// Byte by byte or all at once, with line noise, a break-in byte and a broken leader before it.
  @Test func packetsDecodeAcrossAnySplitAndNoiseIsSkipped() {
    let stream =
      [0x00, 0x30, 0x30, 0x69, 0x62, 0x30, 0x30, 0x30]
      + KDCOMPacket.data(type: .stateManipulate, id: 0x8080_0800, payload: Self.getVersion)
      + KDCOMPacket.control(type: .reset, id: 0)
    let expected: [KDCOMInput] = [
      .breakIn, .data(type: .stateManipulate, id: 0x8080_0800, payload: Self.getVersion), .control(type: .reset, id: 0),
    ]
    for chunk in [1, 3, 16, stream.count] {
      var d = KDCOMDecoder()
      var got: [KDCOMInput] = []
      for start in stride(from: 0, to: stream.count, by: chunk) {
        d.feed(stream[start..<min(start + chunk, stream.count)])
        while let i = d.next() { got.append(i) }
      }
      #expect(got == expected, "chunk \(chunk)")
      #expect(!d.inPacket)
    }
  }

  @Test func badChecksumTrailerLengthAndControlTypeAreNamedWithTheirOffsets() {
    var bad = KDCOMPacket.data(type: .stateManipulate, id: 0x8080_0000, payload: [1, 2, 3])
    bad[12] = 7
    var trailer = KDCOMPacket.data(type: .debugIO, id: 0x8080_0000, payload: [1])
    trailer[trailer.count - 1] = 0x55
    let long: [UInt8] = [0x30, 0x30, 0x30, 0x30, 2, 0, 0xa1, 0x0f, 0, 0, 0x80, 0x80, 0, 0, 0, 0]  // 4001 bytes
    let control: [UInt8] = [0x69, 0x69, 0x69, 0x69, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    var d = KDCOMDecoder()
    d.feed(bad + trailer + long + control)
    #expect(d.next() == .malformed(.badChecksum(expected: 7, found: 6, offset: 19)))
    #expect(d.next() == .malformed(.badTrailer(found: 0x55, offset: UInt64(bad.count + trailer.count - 1))))
    #expect(d.next() == .malformed(.tooLong(byteCount: 4001, offset: UInt64(bad.count + trailer.count + 15))))
    #expect(d.next() == .malformed(.unknownControl(type: 9, offset: UInt64(bad.count + trailer.count + 31))))
    #expect(d.next() == nil)
  }

  /// A packet cut off by a quiet line is dropped, and the next one decodes.
  @Test func anAbandonedPartialPacketDoesNotSwallowTheNext() {
    var d = KDCOMDecoder()
    d.feed(KDCOMPacket.data(type: .stateManipulate, id: 0x8080_0000, payload: Self.getVersion).prefix(30))
    #expect(d.next() == nil && d.inPacket)
    d.abandonPartial()
    d.feed(KDCOMPacket.control(type: .acknowledge, id: 0x8080_0000))
    #expect(d.next() == .control(type: .acknowledge, id: 0x8080_0000))
  }
}
