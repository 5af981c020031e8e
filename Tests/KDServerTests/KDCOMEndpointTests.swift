import Foundation
import KDCOM
import KDProtocol
import KDTestSupport
import Testing

/// The debugger's side of KD's serial protocol, written from the public layouts (windbgkd.h as ReactOS defines
/// it): RESET to attach, stop-and-wait with alternating ids, an ACK for every data packet. A blocking socket with
/// a receive timeout, so a silent target fails the test instead of hanging it.
final class KDSerialClient {
  let fd: Int32
  private var decoder = KDCOMDecoder()
  private var pending: [KDCOMInput] = []
  private var nextId = KDCOMPacket.initialPacketId | KDCOMPacket.syncPacketId

  init(port: UInt16) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw TestFailure("connect: errno \(errno)") }
  }

  deinit { close(fd) }

  func write(_ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// The next item from the line.
  func next() throws -> KDCOMInput {
    while pending.isEmpty {
      var buffer = [UInt8](repeating: 0, count: 4096)
      let n = recv(fd, &buffer, buffer.count, 0)
      guard n > 0 else { throw TestFailure("the target sent nothing for 30 s (recv \(n), errno \(errno))") }
      decoder.feed(buffer[0..<n])
      while let input = decoder.next() { pending.append(input) }
    }
    return pending.removeFirst()
  }

  /// Attaches as kd does: RESET, and everything before the target's RESET answer is left unacknowledged.
  func attach() throws {
    write(KDCOMPacket.control(type: .reset, id: 0))
    while true { if case .control(.reset, _) = try next() { break } }
    nextId = KDCOMPacket.initialPacketId
  }

  /// Data packets that came while a packet of ours awaited its ACK.
  private var early: [KDCOMInput] = []
  /// Debug output (DbgKdPrintStringApi) received so far.
  private(set) var prints: [String] = []

  /// The next data packet, acknowledged.
  func receive() throws -> (type: PacketType, id: UInt32, payload: [UInt8]) {
    while true {
      let input = early.isEmpty ? try next() : early.removeFirst()
      if case .data(let type, let id, let payload) = input {
        write(KDCOMPacket.control(type: .acknowledge, id: id))
        return (type, id, payload)
      }
      guard case .control = input else { throw TestFailure("unexpected \(input)") }
    }
  }

  /// Sends a data packet and waits for its ACK.
  func send(_ type: PacketType, _ payload: [UInt8]) throws {
    let id = nextId
    write(KDCOMPacket.data(type: type, id: id, payload: payload))
    while true {
      let input = try next()
      if case .control(.acknowledge, let acked) = input, acked == id & ~KDCOMPacket.syncPacketId { break }
      if case .data = input {
        early.append(input)  // a state change or debug output may cross our request on the line
        continue
      }
      guard case .control = input else { throw TestFailure("before the ACK: \(input)") }
    }
    nextId = (id ^ 1) & ~KDCOMPacket.syncPacketId
  }

  /// The next state change; debug output before it is kept in ``prints``.
  func stateChange() throws -> (type: PacketType, id: UInt32, payload: [UInt8]) {
    while true {
      let packet = try receive()
      guard packet.type == .debugIO, packet.payload.count >= 16 else { return packet }
      prints.append(String(decoding: packet.payload.dropFirst(16), as: UTF8.self))
    }
  }

  /// A manipulate request and its reply.
  func request(_ api: UInt32, union: [UInt8] = [], data: [UInt8] = []) throws -> [UInt8] {
    try send(.stateManipulate, Self.manipulate(api, union: union) + data)
    let reply = try receive()
    guard reply.type == .stateManipulate else { throw TestFailure("reply of type \(reply.type)") }
    return reply.payload
  }

  /// A DBGKD_MANIPULATE_STATE64 header: ApiNumber, STATUS_PENDING, the union; unused bytes 0xcc, as kd leaves
  /// them unzeroed.
  static func manipulate(_ api: UInt32, union: [UInt8]) -> [UInt8] {
    var p = le(api) + [6, 0, 0, 0] + le(UInt32(0x103)) + [0xcc, 0xcc, 0xcc, 0xcc] + union
    p += [UInt8](repeating: 0xcc, count: 56 - p.count)
    return p
  }
}

func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) } }
func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }

/// A real `kdserver --kdcom-listen` and a KD serial-protocol client over TCP: attach to a target halted at boot,
/// the version, memory, context and control space, a breakpoint, a single step, break-in, and refusals.
@Suite(.serialized) struct KDCOMEndpointTests {
  func start(_ extra: [String] = []) throws -> (KDServerProcess, UInt16) {
    let (child, _, _) = try KDServerProcess.start(["--kdcom-listen", "127.0.0.1:0"] + extra)
    guard let line = child.line(containing: "kdcom listening on"),
      let port = line.split(separator: ":").last.flatMap({ UInt16($0) })
    else { throw TestFailure("no 'kdcom listening on' line: \(child.stderr)") }
    return (child, port)
  }

  /// Checks a DBGKD_ANY_WAIT_STATE_CHANGE as an x86 XP/2003 target sends it and returns (code, pc).
  func exceptionState(_ packet: (type: PacketType, id: UInt32, payload: [UInt8])) -> (code: UInt32, pc: UInt64) {
    let p = packet.payload
    #expect(packet.type == .stateChange64 && p.count == 240, "\(packet.type) of \(p.count) bytes: \(p)")
    guard p.count == 240 else { return (0, 0) }
    #expect(u32(p, 0) == 0x3030 && u32(p, 8) == 1, "NewState, NumberProcessors")
    #expect(u32(p, 12) == 0 && u32(p, 188) == 0, "KD's padding is zero")
    #expect(u64(p, 16) >> 32 == 0xffff_ffff && u64(p, 24) >> 32 == 0xffff_ffff, "sign-extended Thread and PC")
    #expect(u64(p, 48) == u64(p, 24), "ExceptionAddress is the PC")
    #expect(p[202] == 3 && p[203] == 0, "ReportFlags: segments included, standard CS")
    #expect(p[220] == 8 && p[232..<240].allSatisfy { $0 == 0 }, "SegCs; the rest of the control-report union")
    return (u32(p, 32), u64(p, 24))
  }

  @Test func kdAttachesReadsTheTargetAndRunsIt() throws {
    let (child, port) = try start(["--break-at-boot"])
    defer { child.process.terminate() }
    let kd = try KDSerialClient(port: port)
    try kd.attach()
    let (code, pc) = exceptionState(try kd.stateChange())
    #expect(code == 0x8000_0003)

    let version = try kd.request(0x3146)
    #expect(u32(version, 8) == 0, "STATUS_SUCCESS")
    #expect(version[16] == 0x0f && u32(version, 18) & 0xffff == 3790, "free build 3790")
    #expect(version[20] == 6 && version[24] == 0x4c && version[25] == 0x01, "protocol 6, i386")
    #expect(version[26] == 12 && version[27] == 3 && version[28] == 0x2e && version[29] == 0)
    let kernBase = u64(version, 32)
    #expect(kernBase == 0xffff_ffff_804d_7000 && u64(version, 40) >> 32 == 0xffff_ffff, "sign-extended")

    // DebuggerDataList: KdpDebuggerDataListHead, whose Flink is the KDBG block.
    let list = u64(version, 48)
    #expect(list >> 32 == 0xffff_ffff)
    let flink = try kd.request(0x3130, union: le(list) + le(UInt32(4)))
    let kdbg = try kd.request(0x3130, union: le(UInt64(u32(flink, 56))) + le(UInt32(0x18)))
    #expect(Array(kdbg.dropFirst(56 + 0x10).prefix(4)) == Array("KDBG".utf8) && u32(kdbg, 56 + 0x14) == 0x318)

    let mz = try kd.request(0x3130, union: le(kernBase) + le(UInt32(2)) + le(UInt32(0xcccc_cccc)))
    #expect(u32(mz, 8) == 0 && u32(mz, 28) == 2 && Array(mz.dropFirst(56)) == [0x4d, 0x5a], "\(mz)")
    // The state change's instruction stream is what memory holds at the PC.
    let atPC = try kd.request(0x3130, union: le(pc) + le(UInt32(16)))
    #expect(atPC.count == 56 + 16)

    let context = try kd.request(0x3132)
    #expect(context.count == 56 + 716 && UInt64(u32(context, 56 + 0xb8)) == pc & 0xffff_ffff, "Eip")
    #expect(u32(context, 56) & 0x0001_0007 == 0x0001_0007, "CONTEXT_FULL")
    let special = try kd.request(0x3137, union: le(UInt64(0x2cc)) + le(UInt32(0x54)))
    #expect(u32(special, 28) == 0x54 && u32(special, 56) == 0x8001_0001, "KSPECIAL_REGISTERS.Cr0")

    // DbgKdClearAllInternalBreakpointsApi: the ACK and nothing else (the next reply is the next request's).
    try kd.send(.stateManipulate, KDSerialClient.manipulate(0x315A, union: []))
    let unserved = try kd.request(0x3139)  // DbgKdReadIoSpaceApi
    #expect(u32(unserved, 0) == 0x3139 && u32(unserved, 8) == 0xC000_0001, "STATUS_UNSUCCESSFUL")

    // A breakpoint on nt!ExAllocatePoolWithTag; Continue2 runs the target until it is hit.
    let allocate: UInt64 = 0xffff_ffff_804d_8000
    let set = try kd.request(0x3134, union: le(allocate) + le(UInt32(0xcccc_cccc)))
    #expect(u32(set, 8) == 0 && u32(set, 24) != 0, "a handle")
    try kd.send(.stateManipulate, KDSerialClient.manipulate(0x313C, union: le(UInt32(0x0001_0002)) + le(UInt32(0))))
    let hit = exceptionState(try kd.stateChange())
    #expect(hit.code == 0x8000_0003 && hit.pc == allocate)
    let restored = try kd.request(0x3135, union: le(u32(set, 24)))
    #expect(u32(restored, 8) == 0)

    // TraceFlag: one instruction, reported as a single step.
    try kd.send(.stateManipulate, KDSerialClient.manipulate(0x313C, union: le(UInt32(0x0001_0002)) + le(UInt32(1))))
    let step = exceptionState(try kd.stateChange())
    #expect(step.code == 0x8000_0004 && step.pc != allocate)

    // Continue, then the break-in byte.
    try kd.send(.stateManipulate, KDSerialClient.manipulate(0x3136, union: le(UInt32(0x0001_0002))))
    kd.write([0x62])
    #expect(exceptionState(try kd.stateChange()).code == 0x8000_0003)
    #expect(child.line(containing: "audit: kdcom session attached as controller") != nil)
  }

  /// KD's serial protocol has no encryption and no authentication: the endpoint binds loopback addresses only.
  @Test func aNonLoopbackAddressIsRefused() throws {
    let child = try KDServerProcess(
      ["--listen", "127.0.0.1:0", "--kdcom-listen", "0.0.0.0:0", "--state-dir", makeTemporaryDirectory("kdcom")])
    #expect(child.waitExit() == 1)
    #expect(child.stderr.contains("refusing --kdcom-listen 0.0.0.0:0"), "\(child.stderr)")
    #expect(child.stderr.contains("KD's serial protocol has no encryption and no authentication"))
  }
}
