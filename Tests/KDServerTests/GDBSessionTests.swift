import Foundation
import KDGDBRemote
import KDKernel
import KDProtocol
import KDTestSupport
import KDTransport
import Testing

@testable import KDServer

/// The GDB remote session driven through an in-memory byte link with raw packets, against a real kernel (the
/// default scenario at pace 0): the state machine gdb's own tests (GDBEndpointTests) go through end to end.
@Suite(.serialized) struct GDBSessionTests {
  typealias Harness = InMemorySessionTests.Harness

  /// The client's end: sends framed packets, reads back replies (acknowledgements dropped).
  final class GDBClient: @unchecked Sendable {  // safe: `replies`, `closed` and `decoder` are behind `condition`
    let link: any ByteLink
    private let condition = NSCondition()
    private var decoder = GDBPacketDecoder(maxPayload: 1 << 20)
    private var replies: [[UInt8]] = []
    private var closed = false

    init(_ link: any ByteLink) {
      self.link = link
      link.start { [self] event in
        condition.lock()
        defer {
          condition.broadcast()
          condition.unlock()
        }
        switch event {
        case .bytes(let bytes):
          decoder.feed(bytes)
          while let input = decoder.next() { if case .packet(let p) = input { replies.append(p) } }
        case .closed: closed = true
        }
      }
    }

    func send(_ packet: String) { link.queue.async { [link] in link.send(GDBPacketEncoder.frame(packet)) } }
    func sendRaw(_ bytes: [UInt8]) { link.queue.async { [link] in link.send(bytes) } }

    /// The next reply as text (binary replies decode lossily), nil if none within the bound.
    func next(within seconds: Double = 20) -> String? {
      nextBytes(within: seconds).map { String(decoding: $0, as: UTF8.self) }
    }

    func nextBytes(within seconds: Double = 20) -> [UInt8]? {
      let deadline = Date().addingTimeInterval(seconds)
      condition.lock()
      defer { condition.unlock() }
      while replies.isEmpty && !closed { if !condition.wait(until: deadline) { return nil } }
      return replies.isEmpty ? nil : replies.removeFirst()
    }

    func ask(_ packet: String) -> String? {
      send(packet)
      return next()
    }

    func waitClosed() -> Bool {
      let deadline = Date().addingTimeInterval(20)
      condition.lock()
      defer { condition.unlock() }
      while !closed { if !condition.wait(until: deadline) { return false } }
      return true
    }
  }

  func symbol(_ harness: Harness, _ module: String, _ name: String) throws -> UInt32 {
    let address = try harness.host.kernel.sync { c -> UInt32? in
      guard let m = c.modules().first(where: { $0.name == module }) else { return nil }
      return c.symbols(moduleBase: m.base)?.first { $0.name == name }?.address
    }
    return try #require(address)
  }

  /// Waits (bounded) until the boot is over: the five DriverEntry threads have ended and the seven workers and
  /// the idle thread remain (at pace 0 an attach can otherwise come in the middle of it).
  func booted(_ harness: Harness) throws -> Harness {
    for _ in 0..<5000 {
      let threads = try harness.host.kernel.sync { $0.threads() }
      if threads.count == 13 && threads.filter({ $0.state == .terminated }).count == 5 { return harness }
      usleep(1000)
    }
    throw TestFailure("the default scenario did not finish booting")
  }

  /// Attaches and takes the no-ack mode.
  func attach(_ harness: Harness) -> GDBClient {
    let gdb = GDBClient(harness.host.attachGDBInMemory())
    #expect(gdb.ask("QStartNoAckMode") == "OK")
    return gdb
  }

  @Test func attachBreaksInAndReportsSIGINTWithTheThreadAndRegisters() throws {
    let harness = try booted(Harness())
    let gdb = GDBClient(harness.host.attachGDBInMemory())
    let supported = try #require(gdb.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"))
    for feature in [
      "PacketSize=10000", "QStartNoAckMode+", "qXfer:features:read+", "qXfer:libraries:read+",
      "qXfer:threads:read+", "qXfer:exec-file:read+", "swbreak+",
    ] {
      #expect(supported.contains(feature), "\(supported)")
    }
    #expect(gdb.ask("vMustReplyEmpty") == "")
    #expect(gdb.ask("QStartNoAckMode") == "OK")
    let stop = try #require(gdb.ask("?"))
    // T02, the libraries announced once, the thread, then ebp esp eip.
    #expect(stop.hasPrefix("T02library:;thread:"), "\(stop)")
    let g = try #require(gdb.ask("g"))
    #expect(g.count == 2 * (16 * 4 + 8 * 10 + 8 * 4))
    let eip = String(g.dropFirst(8 * 8).prefix(8))
    #expect(stop.contains("08:\(eip);"))
    #expect(gdb.ask("p8") == eip)
    #expect(gdb.ask("p10") == String(repeating: "x", count: 20))  // st0: the target has no x87 state
    #expect(gdb.ask("p40") == "E16")
    #expect(try #require(gdb.ask("qfThreadInfo")).hasPrefix("m1,1c,20,24"))
    #expect(gdb.ask("qsThreadInfo") == "l")
    #expect(gdb.ask("qAttached") == "1")
    let extra = try #require(gdb.ask("qThreadExtraInfo,24"))
    let text = String(decoding: try #require(GDBHex.decode(Array(extra.utf8))), as: UTF8.self)
    #expect(text.hasPrefix("Cid 0x24, ") && text.hasSuffix(", start Abc!AbcLogWorker"), "\(text)")
    #expect(gdb.ask("T24") == "OK" && gdb.ask("T99") == "E16")
    // Another thread's registers after Hg.
    let stopped = try #require(stop.split(separator: ";").first { $0.hasPrefix("thread:") }).dropFirst(7)
    let other = stopped == "24" ? "28" : "24"
    #expect(gdb.ask("Hg\(other)") == "OK")
    #expect(try #require(gdb.ask("g")) != g)
    #expect(gdb.ask("Hg0") == "OK")
    #expect(gdb.ask("g") == g)
  }

  @Test func memoryReadsWritesAndFaultsAndBadPacketsLeaveTheSessionUsable() throws {
    let harness = try booted(Harness())
    let gdb = attach(harness)
    _ = gdb.ask("?")
    let hitTag = try symbol(harness, "nt", "PoolHitTag")
    let at = String(hitTag, radix: 16)
    #expect(gdb.ask("m\(at),4") == "0fffffff")
    #expect(gdb.ask("M\(at),4:41626320") == "OK")
    #expect(gdb.ask("m\(at),4") == "41626320")
    #expect(gdb.ask("X\(at),4:Abd ") == "OK")
    #expect(gdb.ask("m\(at),4") == "41626420")
    #expect(gdb.ask("X\(at),0:") == "OK")
    #expect(gdb.ask("m0,4") == "E0e")  // nothing mapped at 0
    #expect(gdb.ask("m100000000,4") == "E0e")  // above 32 bits
    #expect(gdb.ask("M0,1:00") == "E0e")
    #expect(gdb.ask("mzz,4") == "E01")  // unparsable, answered, and the session goes on
    #expect(gdb.ask("qNoSuchThing") == "")
    gdb.sendRaw(Array("$m0,4#00".utf8))  // bad checksum: dropped (no-ack mode), no reply
    #expect(gdb.ask("m\(at),2") == "4162")
  }

  @Test func breakpointContinueInterruptAndStep() throws {
    let harness = try booted(Harness())
    let gdb = attach(harness)
    _ = gdb.ask("qSupported:swbreak+")
    _ = gdb.ask("?")
    let logEvent = try symbol(harness, "Abc", "AbcLogEvent")
    let at = String(logEvent, radix: 16)
    #expect(gdb.ask("Z0,\(at),1") == "OK")
    // Memory reads show the original byte, not the 0xCC.
    #expect(gdb.ask("m\(at),1") == "55")
    let hit = try #require(gdb.ask("c"))
    #expect(hit.hasPrefix("T05swbreak:;thread:24;"), "\(hit)")
    #expect(hit.contains("08:" + GDBHex.register(logEvent)))
    let step = try #require(gdb.ask("vCont;s:24;c"))
    #expect(step.hasPrefix("T05thread:24;") && step.contains("08:" + GDBHex.register(logEvent + 1)), "\(step)")
    #expect(gdb.ask("vCont;s:28;c") == "E16")  // step another thread than the one stopped: refused
    #expect(gdb.ask("z0,\(at),1") == "OK")
    #expect(gdb.ask("z0,\(at),1") == "OK")  // already out
    // Continue, then interrupt: SIGINT.
    gdb.send("c")
    #expect(gdb.next(within: 0.3) == nil)  // running: no stop reply yet
    gdb.sendRaw([0x03])
    #expect(try #require(gdb.next()).hasPrefix("T02"))
  }

  @Test func watchpointsStopAfterTheAccessWithTheirAddress() throws {
    let harness = try booted(Harness())
    let gdb = attach(harness)
    _ = gdb.ask("?")
    let sequence = try symbol(harness, "Abc", "LogSequence")
    let logEvent = try symbol(harness, "Abc", "AbcLogEvent")
    let at = String(sequence, radix: 16)
    #expect(gdb.ask("Z2,\(at),4") == "OK")
    let write = try #require(gdb.ask("c"))
    #expect(write.hasPrefix("T05watch:\(at);thread:24;"), "\(write)")
    #expect(write.contains("08:" + GDBHex.register(logEvent + 0x26)))
    #expect(gdb.ask("z2,\(at),4") == "OK")
    #expect(gdb.ask("Z3,\(at),4") == "OK")
    #expect(try #require(gdb.ask("c")).hasPrefix("T05rwatch:\(at);"))
    #expect(gdb.ask("z3,\(at),4") == "OK")
    #expect(gdb.ask("Z2,\(at),8") == "E16")  // x86 debug registers: 1, 2 or 4 bytes
    for i in 0..<4 { #expect(gdb.ask("Z2,\(String(sequence + UInt32(4 * i), radix: 16)),4") == "OK") }
    #expect(gdb.ask("Z4,\(String(sequence + 16, radix: 16)),4") == "E1c")  // no fifth debug register
    #expect(gdb.ask("Z1,\(String(logEvent, radix: 16)),1") == "E1c")
  }

  @Test func symbolFilesAreServedOverVFile() throws {
    let harness = try booted(Harness())
    let gdb = attach(harness)
    _ = gdb.ask("?")
    let libraries = try #require(gdb.ask("qXfer:libraries:read::0,fff"))
    #expect(libraries.hasPrefix("l<library-list>"))
    #expect(
      libraries.contains("<library name=\"/SystemRoot/system32/drivers/Abc.sys\"><segment address=\"0xf7a00000\"/>"))
    #expect(!libraries.contains("ntoskrnl"))
    #expect(gdb.ask("qXfer:exec-file:read:1:0,fff") == "l/SystemRoot/system32/ntoskrnl.exe")
    #expect(gdb.ask("vFile:setfs:0") == "F0")
    let path = GDBHex.encode("/SystemRoot/system32/drivers/Abc.sys".utf8)
    let fd = try #require(gdb.ask("vFile:open:\(path),0,0"))
    #expect(fd == "F3")
    gdb.send("vFile:fstat:3")
    let stat = try #require(gdb.nextBytes())
    #expect(Array(stat.prefix(4)) == Array("F40;".utf8) && stat.count == 4 + 64)
    gdb.send("vFile:pread:3,4,0")
    let part = try #require(gdb.nextBytes())
    #expect(part == Array("F4;".utf8) + [0x7f, 0x45, 0x4c, 0x46])  // an ELF file
    #expect(gdb.ask("vFile:close:3") == "F0" && gdb.ask("vFile:close:3") == "F-1,9")
    #expect(gdb.ask("vFile:open:\(GDBHex.encode("/etc/passwd".utf8)),0,0") == "F-1,2")
    #expect(gdb.ask("vFile:open:\(path),1,0") == "F-1,d")  // write access: refused
    #expect(gdb.ask("qXfer:features:read:target.xml:0,20") == "m<?xml version=\"1.0\"?>\n<!DOCTYPE ")
  }

  /// One controller across protocols: a second gdb, and a KD controller, are refused while gdb holds the role;
  /// a KD observer sees gdb's break; after `D` the target runs and the role is free again.
  @Test func oneControllerAcrossProtocolsAndDetachResumes() throws {
    let harness = try booted(Harness())
    let gdb = attach(harness)
    _ = gdb.ask("?")
    let second = GDBClient(harness.host.attachGDBInMemory())
    #expect(second.ask("qSupported") == "E01")
    #expect(second.waitClosed())
    #expect(harness.logs.waitFor("gdb client refused") != nil)
    let kd = harness.attach()
    kd.hello(controller: true)
    #expect(kd.helloReply()?.status == .deviceBusy)
    let observer = harness.attach()
    observer.hello(controller: false)
    #expect(observer.helloReply()?.role == .observer)
    let hitTag = try symbol(harness, "nt", "PoolHitTag")
    #expect(gdb.ask("M\(String(hitTag, radix: 16)),4:41626320") == "OK")
    let stop = try #require(gdb.ask("c"))
    #expect(stop.hasPrefix("T05thread:"))
    var sawBreak = false
    while let message = observer.next(within: 5) {
      if case .stateChange(let change) = message, case .exception(_, let reason, _) = change.detail {
        #expect(reason == .hardcodedBreakpoint)
        #expect(stop.contains("08:" + GDBHex.register(UInt32(truncatingIfNeeded: change.programCounter))))
        sawBreak = true
        break
      }
    }
    #expect(sawBreak)
    #expect(gdb.ask("D") == "OK")
    #expect(gdb.waitClosed())
    // The observer hears the target run again.
    var running = false
    while let message = observer.next(within: 5) {
      if case .stateChange(let change) = message, case .running = change.detail {
        running = true
        break
      }
    }
    #expect(running)
    let next = harness.attach()
    next.hello(controller: true)
    let reply = try #require(next.helloReply())
    #expect(reply.status == .success && reply.role == .controller)
  }
}
