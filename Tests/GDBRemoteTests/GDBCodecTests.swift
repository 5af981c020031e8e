import Testing

@testable import KDGDBRemote

@Suite struct GDBPacketDecoderTests {
  func decode(_ text: String, maxPayload: Int = 64) -> [GDBInput] {
    var d = GDBPacketDecoder(maxPayload: maxPayload)
    d.feed(Array(text.utf8))
    var out: [GDBInput] = []
    while let i = d.next() { out.append(i) }
    return out
  }

  @Test func packetsAcknowledgementsAndInterrupt() {
    // "$g#67" is gdb's own bytes for a `g` (0x67 = 'g').
    #expect(decode("+$g#67-\u{3}") == [.acknowledged, .packet(Array("g".utf8)), .resendRequested, .interrupt])
    #expect(decode("$m804da000,4#be") == [.packet(Array("m804da000,4".utf8))])
    // Noise between packets is skipped; checksum digits in either case.
    #expect(decode("xyz$?#3F") == [.packet(Array("?".utf8))])
  }

  @Test func byteByByteEqualsAllAtOnce() {
    let stream = Array(GDBPacketEncoder.frame("X100,3:}$#") + GDBPacketEncoder.frame("qC"))
    var d = GDBPacketDecoder(maxPayload: 64)
    var out: [GDBInput] = []
    for b in stream {
      d.feed([b])
      while let i = d.next() { out.append(i) }
    }
    #expect(out == [.packet(Array("X100,3:}$#".utf8)), .packet(Array("qC".utf8))])
  }

  @Test func errorsCarryTheirEvidence() {
    #expect(decode("$g#00") == [.malformed(.badChecksum(expected: 0x67, found: 0, offset: 4))])
    #expect(decode("$g#6z") == [.malformed(.badChecksumDigit(found: UInt8(ascii: "z"), offset: 4))])
    #expect(decode("$gg$g#67") == [.malformed(.unterminated(offset: 3)), .packet(Array("g".utf8))])
    let long = "$" + String(repeating: "a", count: 10) + "#00$g#67"
    #expect(decode(long, maxPayload: 4) == [.malformed(.tooLong(limit: 4, offset: 5)), .packet(Array("g".utf8))])
    #expect(decode("$a}#00") == [.malformed(.danglingEscape(offset: 3))])
  }

  @Test func encoderEscapesWhatFramingReserves() {
    let framed = GDBPacketEncoder.frame([0x24, 0x23, 0x7d, 0x2a, 0x41])
    #expect(framed == Array("$}\u{04}}\u{03}}]}\u{0a}A#".utf8) + Array(hex2(checksum(framed)).utf8))
    var d = GDBPacketDecoder(maxPayload: 64)
    d.feed(framed)
    #expect(d.next() == .packet([0x24, 0x23, 0x7d, 0x2a, 0x41]))
  }

  @Test func hexFramingEqualsFramingTheHexText() {
    let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x24, 0x23]
    #expect(GDBPacketEncoder.frameHex(bytes) == GDBPacketEncoder.frame(GDBHex.encode(bytes)))
    #expect(GDBPacketEncoder.frameHex([]) == Array("$#00".utf8))
  }

  func checksum(_ framed: [UInt8]) -> UInt8 {
    framed.dropFirst().prefix(while: { $0 != UInt8(ascii: "#") }).reduce(0, &+)
  }
}

@Suite struct GDBRequestTests {
  func parse(_ text: String) throws -> GDBRequest { try GDBRequest(parsing: Array(text.utf8)) }

  @Test func thePacketsGDBSends() throws {
    #expect(try parse("qSupported:multiprocess+;swbreak+") == .querySupported(features: ["multiprocess+", "swbreak+"]))
    #expect(try parse("?") == .haltReason)
    #expect(try parse("m804da000,4") == .readMemory(address: 0x804d_a000, length: 4))
    #expect(try parse("M804da000,4:41626320") == .writeMemory(address: 0x804d_a000, data: [0x41, 0x62, 0x63, 0x20]))
    #expect(try parse("X10,2:}]") == .writeMemory(address: 0x10, data: Array("}]".utf8)))
    #expect(try parse("Z0,804d8016,1") == .insertPoint(.software, address: 0x804d_8016, kind: 1))
    #expect(try parse("z2,f7a02160,4") == .removePoint(.write, address: 0xf7a0_2160, kind: 4))
    #expect(try parse("Z0,10,1;X2,0a00") == .insertPoint(.software, address: 0x10, kind: 1))
    #expect(try parse("c") == .continue(at: nil))
    #expect(try parse("s804d8000") == .step(at: 0x804d_8000))
    #expect(try parse("C05;10") == .continue(at: 0x10))
    #expect(try parse("vCont?") == .vContQuery)
    #expect(
      try parse("vCont;s:p1.81234000;c")
        == .vCont([.init(kind: .step, thread: .thread(0x8123_4000)), .init(kind: .continue, thread: nil)]))
    #expect(try parse("Hg0") == .setThread(forContinue: false, .any))
    #expect(try parse("Hc-1") == .setThread(forContinue: true, .all))
    #expect(try parse("Hgp1.81234000") == .setThread(forContinue: false, .thread(0x8123_4000)))
    #expect(try parse("p8") == .readRegister(8))
    #expect(try parse("P8=00104080") == .writeRegister(8, [0, 0x10, 0x40, 0x80]))
    #expect(
      try parse("qXfer:features:read:target.xml:0,ffb")
        == .transfer(object: "features", annex: "target.xml", offset: 0, length: 0xffb))
    #expect(
      try parse("qXfer:libraries:read::10,20") == .transfer(object: "libraries", annex: "", offset: 16, length: 32))
    #expect(try parse("qThreadExtraInfo,81234000") == .threadExtraInfo(.thread(0x8123_4000)))
    #expect(try parse("D;1") == .detach)
    #expect(try parse("vKill;1") == .kill)
    #expect(try parse("qTStatus") == .unknown("qTStatus"))
    #expect(try parse("vMustReplyEmpty") == .unknown("vMustReplyEmpty"))
    #expect(try parse("!") == .unknown("!"))
  }

  @Test func badArgumentsNameTheByte() {
    func error(_ text: String) -> GDBRequestError? {
      do {
        _ = try GDBRequest(parsing: Array(text.utf8))
        return nil
      } catch { return error }
    }
    #expect(error("m804da000") == GDBRequestError(command: "m", offset: 9, expected: "','", found: "the end"))
    #expect(error("mxyz,4") == GDBRequestError(command: "m", offset: 1, expected: "an address in hex", found: "'x'"))
    #expect(error("M10,4:4162") == GDBRequestError(command: "M", offset: 6, expected: "4 data bytes", found: "2"))
    #expect(error("Z9,10,1") == GDBRequestError(command: "Z", offset: 1, expected: "a type 0-4", found: "9"))
    #expect(error("m11112222333344445,1")?.expected == "an address of at most 16 hex digits")
    #expect(error("vCont;q")?.command == "vCont")
    #expect(error("Hx0")?.expected == "g or c")
    #expect(error("G123")?.expected == "an even number of hex digits")
  }
}

@Suite struct GDBReplyTests {
  @Test func stopReplyCarriesCauseThreadAndRegisters() {
    let reply = GDBStopReply(
      signal: 5, thread: 0x8123_4000, cause: .watch(address: 0xf7a0_2160),
      registers: [(GDBI386Registers.eip, 0x804d_8016), (GDBI386Registers.esp, 0xf000_1000)])
    #expect(reply.payload == "T05watch:f7a02160;thread:81234000;08:16804d80;04:001000f0;")
    #expect(GDBStopReply(signal: 2, thread: 4, cause: .none, registers: []).payload == "T02thread:4;")
  }

  @Test func gPacketHasX87Unavailable() {
    let g = GDBI386Registers.gPacket(Array(0..<16))
    #expect(g.hasPrefix("00000000" + "01000000"))
    #expect(g.count == 2 * (16 * 4 + 8 * 10 + 8 * 4))
    #expect(g.hasSuffix(String(repeating: "x", count: 2 * (8 * 10 + 8 * 4))))
    #expect(
      GDBI386Registers.size(of: 16) == 10 && GDBI386Registers.size(of: 31) == 4 && GDBI386Registers.size(of: 32) == nil)
  }

  @Test func transferChunks() {
    let doc = Array("abcdef".utf8)
    #expect(GDBTransfer.chunk(doc, offset: 0, length: 4) == Array("mabcd".utf8))
    #expect(GDBTransfer.chunk(doc, offset: 4, length: 4) == Array("lef".utf8))
    #expect(GDBTransfer.chunk(doc, offset: 6, length: 4) == Array("l".utf8))
    #expect(GDBTransfer.chunk(doc, offset: UInt64.max, length: UInt64.max) == Array("l".utf8))
    #expect(GDBTransfer.chunk(doc, offset: 1, length: UInt64.max) == Array("lbcdef".utf8))
  }

  @Test func targetDescriptionNamesEveryCoreRegister() {
    let xml = GDBI386Registers.targetXML
    for name in ["eax", "ecx", "eip", "eflags", "gs", "st7", "fop"] { #expect(xml.contains("name=\"\(name)\"")) }
    #expect(xml.split(separator: "<reg ", omittingEmptySubsequences: false).count - 1 == GDBI386Registers.count)
  }
}
