import KDCOM
import KDProtocol
import Testing

/// The target's side of kdcom's stop-and-wait exchange, driven by hand with a clock in nanoseconds.
@Suite struct KDCOMTargetChannelTests {
  static let second: UInt64 = 1_000_000_000

  func writes(_ actions: [KDCOMTargetChannel.Action]) -> [[UInt8]] {
    actions.compactMap { if case .write(let b) = $0 { b } else { nil } }
  }

  /// Ids: the first packet carries SYNC (0x80800800), is acknowledged without it, then ids alternate; the next
  /// packet waits for the acknowledgement of the one before.
  @Test func packetsGoOneAtATimeWithAlternatingIds() {
    var c = KDCOMTargetChannel()
    let first = c.send(type: .stateChange64, payload: [1], now: 0)
    #expect(writes(first) == [KDCOMPacket.data(type: .stateChange64, id: 0x8080_0800, payload: [1])])
    #expect(c.send(type: .debugIO, payload: [2], now: 0).isEmpty && c.queued == 1)
    #expect(c.receive(.control(type: .acknowledge, id: 0x8080_0001), now: 1).isEmpty, "wrong id: ignored")
    let second = c.receive(.control(type: .acknowledge, id: 0x8080_0000), now: 1)
    #expect(writes(second) == [KDCOMPacket.data(type: .debugIO, id: 0x8080_0001, payload: [2])])
    #expect(c.receive(.control(type: .acknowledge, id: 0x8080_0001), now: 2).isEmpty)
    #expect(!c.awaitingAcknowledgement && c.currentPacketId == 0x8080_0000)
  }

  /// RESEND and an overdue acknowledgement write the same bytes again; a state change is retried for as long as
  /// it takes, debug output is given up after its tries.
  @Test func resendAndTimeoutsRetransmit() {
    var c = KDCOMTargetChannel(timing: .init(retransmitAfter: Self.second, debugIOTries: 2))
    let packet = writes(c.send(type: .stateChange64, payload: [9, 9], now: 0))
    #expect(writes(c.receive(.control(type: .resend, id: 0), now: 10)) == packet)
    #expect(c.tick(now: Self.second).isEmpty, "the RESEND restarted the wait")
    for k in 1...5 { #expect(writes(c.tick(now: 10 + UInt64(k) * Self.second)) == packet) }
    #expect(c.retransmissions == 6 && c.awaitingAcknowledgement)
    _ = c.receive(.control(type: .acknowledge, id: 0x8080_0000), now: 7 * Self.second)

    let print = writes(c.send(type: .debugIO, payload: [0x41], now: 0))
    #expect(writes(c.tick(now: Self.second)) == print)
    #expect(c.tick(now: 2 * Self.second).isEmpty && c.dropped == 1 && !c.awaitingAcknowledgement)
  }

  /// Every data packet is acknowledged with its id; a repeat (its ACK was lost) is not delivered twice; SYNC
  /// resynchronises; a request while our packet awaits its ACK counts as that ACK.
  @Test func receivedPacketsAreAcknowledgedAndDeliveredOnce() {
    var c = KDCOMTargetChannel()
    let ack0 = KDCOMPacket.control(type: .acknowledge, id: 0x8080_0800)
    let request = KDCOMInput.data(type: .stateManipulate, id: 0x8080_0800, payload: [1])
    #expect(c.receive(request, now: 0) == [.write(ack0), .deliver(type: .stateManipulate, payload: [1])])
    #expect(c.receive(.data(type: .stateManipulate, id: 0x8080_0000, payload: [1]), now: 0).count == 1, "repeat")
    #expect(c.remotePacketId == 0x8080_0001)

    _ = c.send(type: .stateManipulate, payload: [7], now: 0)
    let next = c.receive(.data(type: .stateManipulate, id: 0x8080_0001, payload: [2]), now: 0)
    #expect(next.contains(.deliver(type: .stateManipulate, payload: [2])) && !c.awaitingAcknowledgement)
  }

  /// RESET is answered with RESET, both ids restart, the queue is gone and the owner is told to send its state.
  @Test func resetRestartsTheLine() {
    var c = KDCOMTargetChannel()
    _ = c.send(type: .stateChange64, payload: [1], now: 0)
    _ = c.send(type: .debugIO, payload: [2], now: 0)
    let actions = c.receive(.control(type: .reset, id: 0), now: 0)
    #expect(actions == [.write(KDCOMPacket.control(type: .reset, id: 0)), .reset])
    #expect(!c.awaitingAcknowledgement && c.queued == 0)
    #expect(c.currentPacketId == 0x8080_0000 && c.remotePacketId == 0x8080_0000)
    #expect(
      writes(c.receive(.malformed(.badTrailer(found: 0, offset: 0)), now: 0)) == [
        KDCOMPacket.control(type: .resend, id: 0)
      ])
    #expect(c.receive(.breakIn, now: 0) == [.breakIn])
  }
}
