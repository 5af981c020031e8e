import KDProtocol
import Testing

@Suite struct FrameDecoderTests {
  static let stream: [UInt8] = Samples.messages.enumerated().flatMap { i, m in m.encoded(packetId: UInt32(i + 1)) }

  @Test func everyFrameSplitAtEveryOffsetDecodesTheSame() throws {
    for (index, message) in Samples.messages.enumerated() {
      let bytes = message.encoded(packetId: UInt32(index + 1))
      for split in 0...bytes.count {
        var decoder = FrameDecoder()
        decoder.feed(bytes[..<split])
        if split < bytes.count {
          #expect(try decoder.next() == nil, "message \(index) split at \(split) decoded early")
        }
        decoder.feed(bytes[split...])
        let frame = try #require(try decoder.next(), "message \(index) split at \(split)")
        #expect(try Message(frame: frame) == message)
      }
    }
  }

  @Test func byteAtATimeStreamYieldsEveryMessageInOrder() throws {
    var decoder = FrameDecoder()
    var decoded: [Message] = []
    for byte in Self.stream {
      decoder.feed(CollectionOfOne(byte))
      while let frame = try decoder.next() { decoded.append(try Message(frame: frame)) }
    }
    #expect(decoded == Samples.messages)
    #expect(!decoder.isInsideFrame)
  }

  @Test func wholeStreamAtOnce() throws {
    var decoder = FrameDecoder()
    decoder.feed(Self.stream)
    var count = 0
    while try decoder.next() != nil { count += 1 }
    #expect(count == Samples.messages.count)
  }

  static let good = Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 0x8080_0000)

  func decode(_ bytes: [UInt8], maxPayload: Int = Limits.hardMaxPayload) throws(FrameError) -> Frame? {
    var decoder = FrameDecoder(maxPayload: maxPayload)
    decoder.feed(bytes)
    return try decoder.next()
  }

  @Test func corruptLeaderIsRefusedAfterFourBytes() {
    #expect(throws: FrameError.badLeader(found: 0x2054_4547, offset: 0)) {
      try decode(Array("GET / HTTP/1.1\r\n".utf8))
    }
    var bytes = Self.good
    bytes[2] = 0x31
    #expect(throws: FrameError.badLeader(found: 0x3031_3030, offset: 0)) { try decode(Array(bytes[0..<4])) }
  }

  @Test func tlsClientHelloIsNotAFrame() {
    // A TLS record header (handshake, TLS 1.0 record version) sent to a plaintext reader.
    #expect(throws: FrameError.self) { try decode([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]) }
  }

  @Test func oversizedByteCountIsRefusedAfterEightBytes() {
    var bytes = Array(Self.good[0..<8])
    bytes[6] = 0x01
    bytes[7] = 0xF1  // 0xF101 > hard cap 0xF000
    #expect(throws: FrameError.oversized(byteCount: 0xF101, limit: Limits.hardMaxPayload, offset: 6)) {
      try decode(bytes)
    }
    #expect(throws: FrameError.oversized(byteCount: 56, limit: 32, offset: 6)) { try decode(Self.good, maxPayload: 32) }
  }

  @Test func corruptChecksumNamesBothValues() {
    var bytes = Self.good
    bytes[12] &+= 1
    let sum = Self.good[16..<72].reduce(UInt32(0)) { $0 &+ UInt32($1) }
    #expect(throws: FrameError.checksumMismatch(expected: sum &+ 1, found: sum, offset: 12)) { try decode(bytes) }
    var payload = Self.good
    payload[20] ^= 0x01
    #expect(throws: FrameError.self) { try decode(payload) }
  }

  @Test func corruptTrailerIsRefused() {
    var bytes = Self.good
    bytes[bytes.count - 1] = 0x00
    #expect(throws: FrameError.badTrailer(found: 0, offset: 72)) { try decode(bytes) }
  }

  @Test func controlPacketWithPayloadIsRefused() {
    var bytes = Message.acknowledge.encoded(packetId: 1)
    bytes[6] = 4
    #expect(throws: FrameError.self) { try decode(bytes + [0, 0, 0, 0]) }
  }

  @Test func breakInWithATypeIsRefused() {
    var bytes = Message.breakIn.encoded(packetId: 0)
    bytes[4] = 2
    #expect(
      throws: FrameError.unexpectedValue(field: "packet type of a break-in packet", expected: 0, found: 2, offset: 4)
    ) {
      try decode(bytes)
    }
  }

  @Test func truncatedFrameIsNeedMoreBytesNotAnError() throws {
    for cut in 0..<Self.good.count {
      #expect(try decode(Array(Self.good[0..<cut])) == nil)
    }
  }

  @Test func unknownPacketTypeDecodesAsUnknown() throws {
    let frame = Frame(type: PacketType(rawValue: 0x7777), packetId: 1, payload: [1, 2])
    var decoder = FrameDecoder()
    decoder.feed(FrameEncoder.encode(frame))
    let decoded = try #require(try decoder.next())
    #expect(try Message(frame: decoded) == .unknown(type: PacketType(rawValue: 0x7777), payload: [1, 2]))
  }
}
