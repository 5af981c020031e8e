// libFuzzer target for the KD serial protocol: the KDCOM decoder and the target's side of the exchange.
//
// Built as KDProtocolFuzz is (scripts/fuzz.sh; docs/WINDBG.md, "Fuzzing"); built normally it replays the files
// given on the command line.
import KDCOM
import KDFuzzHarness
import KDProtocol

/// Feeds `data` to a decoder in two pieces and every item to a target channel, with a clock that the input
/// advances; checks the codec's promises: a data packet it yields re-frames to bytes that decode to itself, the
/// channel answers every data packet with an ACK for its id, and nothing traps.
func fuzzOne(_ data: [UInt8]) {
  guard !data.isEmpty else { return }
  let split = Int(data[0]) % data.count
  var decoder = KDCOMDecoder()
  var channel = KDCOMTargetChannel()
  var now: UInt64 = 0
  for piece in [data[1..<max(1, split)], data[max(1, split)...]] {
    decoder.feed(piece)
    while let input = decoder.next() {
      now &+= 400_000_000
      let actions = channel.receive(input, now: now)
      if case .data(let type, let id, let payload) = input {
        guard actions.first == .write(KDCOMPacket.control(type: .acknowledge, id: id)) else {
          fatalError("data packet \(id) not acknowledged first: \(actions)")
        }
        var again = KDCOMDecoder()
        again.feed(KDCOMPacket.data(type: type, id: id, payload: payload))
        guard again.next() == input, again.next() == nil else { fatalError("framing round trip changed a packet") }
        // The target answers with a packet of its own, as a manipulate reply would.
        _ = channel.send(type: .stateManipulate, payload: Array(payload.prefix(56)), now: now)
      }
      _ = channel.tick(now: now)
    }
    decoder.abandonPartial()
  }
}

/// What a debugger sends while attaching: RESET, a GetVersion request with the SYNC id, ACKs, a RESEND, break-in.
func seeds() -> [[UInt8]] {
  var getVersion = [UInt8](repeating: 0, count: 56)
  getVersion[0] = 0x46
  getVersion[1] = 0x31
  getVersion[8] = 0x03
  getVersion[9] = 0x01
  let attach =
    KDCOMPacket.control(type: .reset, id: 0)
    + KDCOMPacket.data(type: .stateManipulate, id: 0x8080_0800, payload: getVersion)
    + KDCOMPacket.control(type: .acknowledge, id: 0x8080_0000) + KDCOMPacket.control(type: .resend, id: 0) + [0x62]
  return [[UInt8(7)] + attach, [UInt8(0)] + Array(repeating: 0x30, count: 3) + attach]
}

FuzzHarness.run(name: "KDCOMFuzz", seeds: seeds, fuzzOne: fuzzOne)
