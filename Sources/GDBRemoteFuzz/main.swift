// libFuzzer target for the GDB remote codec: the packet decoder and the request parser.
//
// Built as KDProtocolFuzz is (scripts/fuzz.sh; docs/GDB.md, "Fuzzing"); built normally it replays the files given
// on the command line.
import KDFuzzHarness
import KDGDBRemote

/// Feeds `data` to a decoder in two pieces, parses every packet it yields, and checks the codec's promises:
/// what is framed decodes to itself, a request either parses or names the byte it stopped at, and nothing traps.
func fuzzOne(_ data: [UInt8]) {
  guard !data.isEmpty else { return }
  let split = Int(data[0]) % data.count
  var decoder = GDBPacketDecoder(maxPayload: 4096)
  decoder.feed(data[1..<max(1, split)])
  decoder.feed(data[max(1, split)...])
  while let input = decoder.next() {
    guard case .packet(let payload) = input else { continue }
    if let request = try? GDBRequest(parsing: payload) {
      _ = request
    } else {
      do {
        _ = try GDBRequest(parsing: payload)
      } catch {
        guard error.offset >= 0 && error.offset <= payload.count else {
          fatalError("error offset \(error.offset) outside a payload of \(payload.count) bytes")
        }
      }
    }
    // Framing round trip: any payload framed by the encoder decodes to exactly itself.
    var again = GDBPacketDecoder(maxPayload: 4096)
    again.feed(GDBPacketEncoder.frame(payload))
    guard again.next() == .packet(payload), again.next() == nil else {
      fatalError("framing round trip changed a packet")
    }
  }
  let raw = Array(data.dropFirst())
  _ = try? GDBRequest(parsing: raw)
  _ = GDBHex.decode(raw)
  _ = GDBTransfer.chunk(raw, offset: UInt64(data[0]), length: UInt64(data.count))
}

/// Packets gdb sends while attaching and debugging, so the fuzzer starts deep in the parser.
func seeds() -> [[UInt8]] {
  let packets = [
    "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vContSupported+;xmlRegisters=i386",
    "vMustReplyEmpty", "QStartNoAckMode", "Hg0", "qXfer:features:read:target.xml:0,ffb", "qTStatus", "?",
    "qfThreadInfo", "qsThreadInfo", "qAttached", "Hc-1", "qC", "qOffsets", "g", "m804da000,4",
    "M804da000,4:41626320", "X804da000,4:Abc ", "Z0,804d8016,1", "z0,804d8016,1", "Z2,f7a02160,4", "vCont?",
    "vCont;c", "vCont;s:p1.81234000;c", "c", "s", "Gxx", "p8", "P8=00104080", "T81234000", "D", "D;1", "k",
    "qThreadExtraInfo,81234000", "qXfer:libraries:read::0,fff", "qXfer:threads:read::0,fff", "C05;804d8000",
  ]
  return packets.map { [UInt8(3)] + GDBPacketEncoder.frame($0) + Array("+-\u{3}".utf8) }
}

FuzzHarness.run(name: "KDGDBRemoteFuzz", seeds: seeds, fuzzOne: fuzzOne)
