import KDProtocol
import Testing

@Suite struct MessageRoundTripTests {
  @Test(arguments: Samples.messages.indices)
  func everyMessageRoundTrips(index: Int) throws {
    let message = Samples.messages[index]
    let bytes = message.encoded(packetId: 0x8080_0001 + UInt32(index))
    var decoder = FrameDecoder()
    decoder.feed(bytes)
    let frame = try #require(try decoder.next())
    if message != .breakIn { #expect(frame.packetId == 0x8080_0001 + UInt32(index)) }
    #expect(try Message(frame: frame) == message)
    #expect(try decoder.next() == nil)
    #expect(decoder.bufferedByteCount == 0)
  }

  @Test func manipulateHeaderIsKDsFiftySixBytes() throws {
    let request = ManipulateState(.readVirtualMemory(ReadVirtualMemory(address: 0x820f_2ba4, transferCount: 4)))
    let payload = request.encoded()
    #expect(payload.count == 56)
    // ApiNumber 0x3130 at +0, STATUS_PENDING at +8, TargetBaseAddress at +16, TransferCount at +24.
    #expect(Array(payload[0..<4]) == [0x30, 0x31, 0, 0])
    #expect(Array(payload[8..<12]) == [0x03, 0x01, 0, 0])
    #expect(Array(payload[16..<24]) == [0xa4, 0x2b, 0x0f, 0x82, 0, 0, 0, 0])
    #expect(Array(payload[24..<28]) == [4, 0, 0, 0])
  }

  @Test func frameKeepsKDsHeaderAndTrailer() {
    let bytes = Message.manipulate(ManipulateState(.continue(Continue()))).encoded(packetId: 0x8080_0000)
    #expect(Array(bytes[0..<4]) == [0x30, 0x30, 0x30, 0x30])  // "0000" data leader
    #expect(Array(bytes[4..<6]) == [2, 0])  // KD_STATE_MANIPULATE
    #expect(Array(bytes[6..<8]) == [56, 0])  // byte count
    #expect(Array(bytes[8..<12]) == [0, 0, 0x80, 0x80])
    let sum = bytes[16..<72].reduce(UInt32(0)) { $0 &+ UInt32($1) }
    #expect(
      Array(bytes[12..<16]) == [UInt8(sum & 0xff), UInt8(sum >> 8 & 0xff), UInt8(sum >> 16 & 0xff), UInt8(sum >> 24)])
    #expect(bytes.last == 0xAA)
    #expect(bytes.count == 16 + 56 + 1)
  }

  @Test func controlAndBreakInPacketsAreBareHeaders() {
    let ack = Message.acknowledge.encoded(packetId: 0x8080_0000)
    #expect(ack.count == 16)
    #expect(Array(ack[0..<4]) == [0x69, 0x69, 0x69, 0x69])
    let breakIn = Message.breakIn.encoded(packetId: 0)
    #expect(breakIn.count == 16)
    #expect(Array(breakIn[0..<4]) == [0x62, 0x62, 0x62, 0x62])
  }

  @Test func stateChangeHasFixedLayout() {
    let payload = Samples.breakEvent.encoded()
    #expect(payload.count == StateChange.fixedSize + 2 * StackFrame.size)
    #expect(Array(payload[0..<4]) == [0x30, 0x30, 0, 0])  // DbgKdExceptionStateChange
    #expect(Array(payload[32..<36]) == [0x03, 0, 0, 0x80])  // STATUS_BREAKPOINT
  }
}
