// libFuzzer target for whole GDB remote sessions: a real TargetHost (the default scenario at pace 1) serves a
// GDB client over an in-memory byte link, and each input is read as a sequence of well-formed packets with
// edge values in every argument: registers, memory reads and writes at mapped and unmapped addresses, every
// breakpoint and watchpoint type, thread selection, qXfer objects at any offset, vFile operations, continue
// then interrupt, step, vCont, unknown packets.
//
// Invariants, each a fatalError (so a finding): every packet gets exactly one reply (console `O` packets
// aside), within 20 s; a continue followed by an interrupt, and a step, are answered by a stop reply (`T..`) or,
// on a target that cannot run, an error; `D` is answered `OK` and the link closes; once the client has gone the
// host has no session left. A trap or sanitizer report is a finding too. Each input gets a fresh target (writes
// may have corrupted the last one). Same build and replay as the other targets (KDFuzzHarness); docs/GDB.md.
import Dispatch
import KDFuzzHarness
import KDGDBRemote
import KDKernel
import KDServer
import KDTransport
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The client's end: replies as they arrive, acknowledgements and console output set aside.
final class FuzzGDBClient: Sendable {
  struct State {
    var decoder = GDBPacketDecoder(maxPayload: 1 << 20)
    var replies: [[UInt8]] = []
    var closed = false
  }
  let link: any ByteLink
  private let state = Mutex(State())
  private let arrived = DispatchSemaphore(value: 0)

  init(_ link: any ByteLink) {
    self.link = link
    link.start { [self] event in
      state.withLock { s in
        switch event {
        case .bytes(let bytes):
          s.decoder.feed(bytes)
          while let input = s.decoder.next() {
            switch input {
            case .packet(let p) where p.first == UInt8(ascii: "O") && p.count > 1 && p.count % 2 == 1:
              continue  // console output: not a reply (an `OK` is even-length... and not hex)
            case .packet(let p): s.replies.append(p)
            case .malformed(let error): fatalError("the server sent a malformed packet: \(error)")
            case .acknowledged, .resendRequested, .interrupt: continue
            }
          }
        case .closed: s.closed = true
        }
      }
      arrived.signal()
    }
  }

  func send(_ bytes: [UInt8]) { link.queue.async { [link] in link.send(bytes) } }

  /// The next reply, or nil if the link closed or 20 s passed.
  func next() -> [UInt8]? {
    let deadline = DispatchTime.now() + 20
    while true {
      let (reply, closed) = state.withLock { s -> ([UInt8]?, Bool) in
        s.replies.isEmpty ? (nil, s.closed) : (s.replies.removeFirst(), false)
      }
      if let reply { return reply }
      if closed || arrived.wait(timeout: deadline) == .timedOut {
        return state.withLock { s in s.replies.isEmpty ? nil : s.replies.removeFirst() }
      }
    }
  }

  var isClosed: Bool { state.withLock { $0.closed } }
  var pending: Int { state.withLock { $0.replies.count } }
}

/// Input bytes read as choices; past the end, every choice is 0.
struct Choices {
  let bytes: [UInt8]
  var at = 0
  mutating func u8() -> UInt8 {
    defer { at += 1 }
    return at < bytes.count ? bytes[at] : 0
  }
  var exhausted: Bool { at >= bytes.count }
  mutating func raw32() -> UInt32 { (0..<4).reduce(0) { v, i in v | UInt32(u8()) << (8 * UInt32(i)) } }
  /// Mapped places (nt, Abc's data, paged pool, the KPCR page), edges, and anything.
  mutating func address() -> String {
    switch u8() % 8 {
    case 0: return "804d" + hex(UInt32(u8()) << 4 + 0x7000, width: 4)
    case 1: return "f7a02" + hex(UInt32(u8()), width: 3)
    case 2: return "e10000" + hex(UInt32(u8()), width: 2)
    case 3: return "ffffffff"
    case 4: return "0"
    case 5: return "100000000"
    case 6: return "ffffffffffffffff"
    default: return hex(raw32(), width: 1)
    }
  }
  mutating func length() -> String {
    ["0", "1", "2", "4", "8", "7fff", "10000", "ffffffff", "ffffffffffffffff", hex(UInt32(u8()), width: 1)][
      Int(u8()) % 10]
  }
  mutating func thread() -> String {
    ["0", "-1", "1", "1c", "20", "24", "p1.24", "p-1.-1", "ffffffff", hex(raw32(), width: 1)][Int(u8()) % 10]
  }
  mutating func hexBytes() -> String {
    let n = Int(u8()) % 9
    return (0..<n).map { _ in hex(UInt32(u8()), width: 2) }.joined()
  }
  func hex(_ v: UInt32, width: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }
}

let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }

func fuzzOne(_ data: [UInt8]) {
  let host: TargetHost
  do {
    host = try TargetHost(
      kernel: KernelConfiguration(scenario: "default", pace: 1), policy: SessionPolicy(serverName: "fuzz"),
      logger: logger)
  } catch {
    fatalError("cannot boot the default scenario: \(error)")
  }
  host.start()
  defer { host.shutdown() }
  let client = FuzzGDBClient(host.attachGDBInMemory())
  var c = Choices(bytes: data)
  func ask(_ packet: String) -> [UInt8] {
    ask(Array(packet.utf8))
  }
  func ask(_ payload: [UInt8]) -> [UInt8] {
    client.send(GDBPacketEncoder.frame(payload))
    guard let reply = client.next() else {
      fatalError("no reply to '\(String(decoding: payload.prefix(80), as: UTF8.self))' within 20 s")
    }
    return reply
  }
  func expectStop(_ reply: [UInt8], after what: String) {
    guard reply.first == UInt8(ascii: "T") || reply.first == UInt8(ascii: "E") else {
      fatalError("\(what) answered '\(String(decoding: reply.prefix(80), as: UTF8.self))', not a stop reply")
    }
  }
  if c.u8() % 2 == 0 { _ = ask("QStartNoAckMode") }
  expectStop(ask("?"), after: "?")
  var operations = 0
  while !c.exhausted && operations < 64 {
    operations += 1
    switch c.u8() % 20 {
    case 0: _ = ask("g")
    case 1: _ = ask("p" + c.hex(UInt32(c.u8()), width: 1))
    case 2: _ = ask("m\(c.address()),\(c.length())")
    case 3: _ = ask("M\(c.address()),\(c.length()):\(c.hexBytes())")
    case 4:
      let bytes = (0..<Int(c.u8() % 6)).map { _ in c.u8() }
      _ = ask(Array("X\(c.address()),\(String(bytes.count, radix: 16)):".utf8) + bytes)
    case 5: _ = ask("\(c.u8() % 2 == 0 ? "Z" : "z")\(c.u8() % 6),\(c.address()),\(c.length())")
    case 6: _ = ask("H\(c.u8() % 2 == 0 ? "g" : "c")\(c.thread())")
    case 7: _ = ask(c.u8() % 2 == 0 ? "T\(c.thread())" : "qThreadExtraInfo,\(c.thread())")
    case 8:
      let objects = ["features:read:target.xml", "libraries:read:", "threads:read:", "exec-file:read:1", "auxv:read:"]
      _ = ask("qXfer:\(objects[Int(c.u8()) % objects.count]):\(c.length()),\(c.length())")
    case 9:
      let paths = ["/SystemRoot/system32/ntoskrnl.exe", "/SystemRoot/system32/drivers/Abc.sys", "/etc/passwd", ""]
      let path = GDBHex.encode(paths[Int(c.u8()) % paths.count].utf8)
      let ops = [
        "vFile:open:\(path),\(c.length()),0", "vFile:pread:\(c.length()),\(c.length()),\(c.length())",
        "vFile:close:\(c.length())", "vFile:fstat:\(c.length())", "vFile:setfs:0", "vFile:unlink:\(path)",
      ]
      _ = ask(ops[Int(c.u8()) % ops.count])
    case 10: _ = ask("G" + c.hexBytes() + String(repeating: "00", count: Int(c.u8()) % 80))
    case 11: _ = ask("P\(c.hex(UInt32(c.u8()), width: 1))=\(c.hexBytes())")
    case 12:
      client.send(GDBPacketEncoder.frame(c.u8() % 2 == 0 ? "c" : "vCont;c"))
      client.send([0x03])
      guard let stop = client.next() else { fatalError("no stop reply after continue and interrupt") }
      expectStop(stop, after: "continue + interrupt")
    case 13: expectStop(ask(c.u8() % 2 == 0 ? "s" : "vCont;s:\(c.thread());c"), after: "step")
    case 14: _ = ask("qSupported:" + c.hexBytes())
    case 15:
      _ = ask(
        ["qC", "qfThreadInfo", "qsThreadInfo", "qAttached", "vCont?", "qTStatus", "vMustReplyEmpty"][
          Int(c.u8()) % 7])
    case 16:
      // Any bytes as a payload, except the packets that resume or end the session (covered above).
      var payload = (0..<Int(c.u8() % 12)).map { _ in c.u8() }
      if let first = payload.first, Array("cCsSvDk".utf8).contains(first) { payload.insert(UInt8(ascii: "q"), at: 0) }
      _ = ask(payload)
    case 17: expectStop(ask("?"), after: "?")
    case 18:
      let action = ["c", "s", "t", "C05", "q"][Int(c.u8()) % 5]
      client.send(GDBPacketEncoder.frame("vCont;\(action):\(c.thread())"))
      if action == "c" || action == "C05" { client.send([0x03]) }
      guard let reply = client.next() else { fatalError("no reply to vCont;\(action)") }
      expectStop(reply, after: "vCont;\(action) (+ interrupt)")
    default:
      // Continue at an address (anything, even unmapped: a bug check), then interrupt.
      client.send(GDBPacketEncoder.frame("c\(c.address())"))
      client.send([0x03])
      guard let reply = client.next() else { fatalError("no reply to c ADDR + interrupt") }
      expectStop(reply, after: "c ADDR + interrupt")
    }
    let stray = client.pending
    if stray > 0 { fatalError("\(stray) replies more than packets after operation \(operations)") }
  }
  let detached = ask("D")
  guard detached == Array("OK".utf8) else {
    fatalError("D answered '\(String(decoding: detached, as: UTF8.self))'")
  }
  var waited = 0
  while !client.isClosed || host.sessionCount != 0 {
    waited += 1
    if waited > 2000 { fatalError("the link or the session is still there 20 s after D") }
    usleep(10_000)
  }
}

func seeds() -> [[UInt8]] {
  [
    Array(0..<64), [0, 2, 0, 0, 4, 12, 1, 13, 0, 5, 0, 2, 1, 6, 12, 0, 9, 1, 0, 9, 1, 1],
    (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) },
  ]
}

FuzzHarness.run(name: "KDGDBSessionFuzz", seeds: seeds, fuzzOne: fuzzOne)
