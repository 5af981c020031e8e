import KDProtocol
import Testing

/// The annotated exchange in docs/PROTOCOL.md ("Annotated exchange"), encoded with the real encoder. The expected
/// bytes are the ones the document prints; if the encoder changes, this fails and the document must follow.
/// (KDServerTests' InMemorySessionTests checks that a real server sends frame 2 exactly so.)
@Suite struct ProtocolDocExampleTests {
  /// `nt!PoolHitTag` in the example (an XP-era ntoskrnl data address).
  static let poolHitTag: UInt64 = 0x8055_a3c8

  static let hello = Message.hello(Hello(clientName: "kd", flags: [.wantController]))
  static let helloReply = Message.helloReply(
    HelloReply(
      status: .success, role: .controller, maxPayload: 32768, breakStackFrames: 32, sessionId: 1,
      targetState: .running, flags: [], window: 256, serverName: "kdserver 0.1 (swift-kd)"))
  static let readRequest = Message.manipulate(
    ManipulateState(.readVirtualMemory(ReadVirtualMemory(address: poolHitTag, transferCount: 4))))
  static let readReply = Message.manipulate(
    ManipulateState(
      .readVirtualMemory(
        ReadVirtualMemory(address: poolHitTag, transferCount: 4, actualBytesRead: 4, data: Array("Abc ".utf8))),
      status: .success))

  /// The four frames as docs/PROTOCOL.md prints them, 16 bytes a line.
  static let documented: [(Message, UInt32, [String])] = [
    (
      hello, 1,
      [
        "30 30 30 30 20 00 1a 00 01 00 00 00 d4 00 00 00",
        "01 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00",
        "02 00 00 00 00 00 00 00 6b 64 aa",
      ]
    ),
    (
      helloReply, 1,
      [
        "30 30 30 30 21 00 3f 00 01 00 00 00 6b 08 00 00",
        "01 00 00 00 00 00 00 00 01 00 00 00 00 80 00 00",
        "20 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00",
        "17 00 00 01 00 00 00 00 6b 64 73 65 72 76 65 72",
        "20 30 2e 31 20 28 73 77 69 66 74 2d 6b 64 29 aa",
      ]
    ),
    (
      readRequest, 2,
      [
        "30 30 30 30 02 00 38 00 02 00 00 00 a9 02 00 00",
        "30 31 00 00 00 00 00 00 03 01 00 00 00 00 00 00",
        "c8 a3 55 80 00 00 00 00 04 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 aa",
      ]
    ),
    (
      readReply, 2,
      [
        "30 30 30 30 02 00 3c 00 02 00 00 00 cf 03 00 00",
        "30 31 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "c8 a3 55 80 00 00 00 00 04 00 00 00 04 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 41 62 63 20 aa",
      ]
    ),
  ]

  static func bytes(_ lines: [String]) -> [UInt8] {
    lines.flatMap { $0.split(separator: " ").map { UInt8($0, radix: 16)! } }
  }

  @Test(arguments: 0..<4) func encoderProducesTheDocumentedBytes(index: Int) {
    let (message, packetId, lines) = Self.documented[index]
    #expect(message.encoded(packetId: packetId) == Self.bytes(lines))
  }

  @Test func documentedStreamDecodesToTheExchange() throws {
    var decoder = FrameDecoder(maxPayload: 32768)
    decoder.feed(Self.documented.flatMap { Self.bytes($0.2) })
    var decoded: [(Message, UInt32)] = []
    while let frame = try decoder.next() { decoded.append((try Message(frame: frame), frame.packetId)) }
    #expect(decoded.map(\.0) == Self.documented.map(\.0))
    #expect(decoded.map(\.1) == [1, 1, 2, 2])
  }

  /// Section 4.2: control and break-in packets, byte for byte.
  @Test func controlAndBreakInPacketsAreTheDocumentedBytes() {
    #expect(Message.acknowledge.encoded(packetId: 7) == Self.bytes(["69 69 69 69 04 00 00 00 07 00 00 00 00 00 00 00"]))
    #expect(Message.resend.encoded(packetId: 0) == Self.bytes(["69 69 69 69 05 00 00 00 00 00 00 00 00 00 00 00"]))
    #expect(Message.reset.encoded(packetId: 0) == Self.bytes(["69 69 69 69 06 00 00 00 00 00 00 00 00 00 00 00"]))
    #expect(Message.breakIn.encoded(packetId: 0) == Self.bytes(["62 62 62 62 00 00 00 00 00 00 00 00 00 00 00 00"]))
  }

  /// Section 13.1: the two example messages.
  @Test func documentedErrorMessages() {
    var plaintext = FrameDecoder()
    plaintext.feed(Array("GET / HTTP/1.1\r\n".utf8))
    #expect(throws: FrameError.badLeader(found: 0x2054_4547, offset: 0)) { try plaintext.next() }
    #expect(
      FrameError.badLeader(found: 0x2054_4547, offset: 0).description
        == "bad packet leader at offset 0: expected 0x30303030, 0x69696969 or 0x62626262, found 0x20544547")

    var hello = Self.bytes(Self.documented[0].2)
    hello[12] = 0xd5
    var corrupted = FrameDecoder()
    corrupted.feed(hello)
    #expect(throws: FrameError.checksumMismatch(expected: 0xd5, found: 0xd4, offset: 12)) { try corrupted.next() }
    #expect(
      FrameError.checksumMismatch(expected: 0xd5, found: 0xd4, offset: 12).description
        == "checksum mismatch at offset 12: header says 0xd5, payload sums to 0xd4")
  }
}
