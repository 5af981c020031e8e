/// The packets a stub serves, parsed from a payload. Anything the stub does not know is ``unknown(_:)``, which
/// the session answers with an empty reply (the protocol's "not supported") and goes on.
public enum GDBRequest: Equatable, Sendable {
  /// Z/z types: 0 software breakpoint, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint.
  public enum PointType: UInt8, Sendable {
    case software = 0
    case hardware = 1
    case write = 2
    case read = 3
    case access = 4
  }

  /// One action of a `vCont` packet; `thread` nil applies to every thread the packet names no action for.
  public struct ContinueAction: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
      case `continue`
      case step
      /// `t`: stop the thread (non-stop mode).
      case stop
    }
    public var kind: Kind
    public var thread: GDBThreadID?
  }

  case querySupported(features: [String])
  case startNoAckMode
  case haltReason
  case readRegisters
  case writeRegisters([UInt8])
  case readRegister(Int)
  case writeRegister(Int, [UInt8])
  case readMemory(address: UInt64, length: UInt64)
  /// `M` (hex data) and `X` (binary data).
  case writeMemory(address: UInt64, data: [UInt8])
  case insertPoint(PointType, address: UInt64, kind: UInt64)
  case removePoint(PointType, address: UInt64, kind: UInt64)
  /// `c [addr]` and `C sig[;addr]`: signals mean nothing to this target and are dropped.
  case `continue`(at: UInt64?)
  /// `s [addr]` and `S sig[;addr]`.
  case step(at: UInt64?)
  case vContQuery
  case vCont([ContinueAction])
  /// `Hg` (registers and memory) or `Hc` (step and continue).
  case setThread(forContinue: Bool, GDBThreadID)
  case threadAlive(GDBThreadID)
  case currentThread
  case firstThreadInfo
  case subsequentThreadInfo
  case threadExtraInfo(GDBThreadID)
  case attached
  case transfer(object: String, annex: String, offset: UInt64, length: UInt64)
  case detach
  case kill
  /// Host I/O (`vFile:`), how gdb reads a library's file from the target (sysroot `target:`).
  case file(FileOperation)
  /// A packet this stub does not serve; the command's name for the log.
  case unknown(String)

  /// The `vFile:` operations a read-only file server takes.
  public enum FileOperation: Equatable, Sendable {
    case setFilesystem(pid: UInt64)
    case open(path: String, flags: UInt64, mode: UInt64)
    case pread(fd: UInt64, count: UInt64, offset: UInt64)
    case close(fd: UInt64)
    case fstat(fd: UInt64)
    /// Any other (`pwrite`, `unlink`, `readlink`, ...): answered as not supported.
    case other(String)
  }

  /// Parses one packet's payload. Errors name the packet and the byte.
  public init(parsing payload: [UInt8]) throws(GDBRequestError) {
    var p = Parser(payload)
    guard let first = p.peek() else {
      self = .unknown("")
      return
    }
    switch first {
    case UInt8(ascii: "?"): self = .haltReason
    case UInt8(ascii: "g"): self = .readRegisters
    case UInt8(ascii: "G"):
      p.skip()
      self = .writeRegisters(try p.hexBytes("G"))
    case UInt8(ascii: "p"):
      p.skip()
      self = .readRegister(try p.registerNumber("p"))
      try p.end("p")
    case UInt8(ascii: "P"):
      p.skip()
      let n = try p.registerNumber("P")
      try p.expect("P", "=")
      self = .writeRegister(n, try p.hexBytes("P"))
    case UInt8(ascii: "m"):
      p.skip()
      let address = try p.number("m", "an address")
      try p.expect("m", ",")
      let length = try p.number("m", "a length")
      try p.end("m")
      self = .readMemory(address: address, length: length)
    case UInt8(ascii: "M"), UInt8(ascii: "X"):
      let command = first == UInt8(ascii: "M") ? "M" : "X"
      p.skip()
      let address = try p.number(command, "an address")
      try p.expect(command, ",")
      let length = try p.number(command, "a length")
      try p.expect(command, ":")
      let dataAt = p.offset
      let data = command == "M" ? try p.hexBytes(command) : p.rest()
      guard UInt64(data.count) == length else {
        throw GDBRequestError(
          command: command, offset: dataAt, expected: "\(length) data bytes", found: "\(data.count)")
      }
      self = .writeMemory(address: address, data: data)
    case UInt8(ascii: "Z"), UInt8(ascii: "z"):
      let command = first == UInt8(ascii: "Z") ? "Z" : "z"
      p.skip()
      let typeAt = p.offset
      let typeNumber = try p.number(command, "a type 0-4")
      guard let type = UInt8(exactly: typeNumber).flatMap(PointType.init(rawValue:)) else {
        throw GDBRequestError(command: command, offset: typeAt, expected: "a type 0-4", found: "\(typeNumber)")
      }
      try p.expect(command, ",")
      let address = try p.number(command, "an address")
      try p.expect(command, ",")
      let kind = try p.number(command, "a kind")
      // Conditions and commands (";X..." after the kind) are not taken: evaluated by gdb itself.
      if p.peek() == UInt8(ascii: ";") { _ = p.rest() }
      try p.end(command)
      self =
        command == "Z"
        ? .insertPoint(type, address: address, kind: kind) : .removePoint(type, address: address, kind: kind)
    case UInt8(ascii: "c"), UInt8(ascii: "s"):
      let command = first == UInt8(ascii: "c") ? "c" : "s"
      p.skip()
      let address = p.atEnd ? nil : try p.number(command, "an address")
      try p.end(command)
      self = command == "c" ? .continue(at: address) : .step(at: address)
    case UInt8(ascii: "C"), UInt8(ascii: "S"):
      let command = first == UInt8(ascii: "C") ? "C" : "S"
      p.skip()
      _ = try p.number(command, "a signal")
      var address: UInt64?
      if p.peek() == UInt8(ascii: ";") {
        p.skip()
        address = try p.number(command, "an address")
      }
      try p.end(command)
      self = command == "C" ? .continue(at: address) : .step(at: address)
    case UInt8(ascii: "H"):
      p.skip()
      guard let op = p.next(), op == UInt8(ascii: "g") || op == UInt8(ascii: "c") else {
        throw p.error("H", "g or c", p.foundText())
      }
      let thread = try p.threadID("H")
      try p.end("H")
      self = .setThread(forContinue: op == UInt8(ascii: "c"), thread)
    case UInt8(ascii: "T"):
      p.skip()
      let thread = try p.threadID("T")
      try p.end("T")
      self = .threadAlive(thread)
    case UInt8(ascii: "D"):
      self = .detach  // "D" or "D;pid"
    case UInt8(ascii: "k"):
      self = .kill
    case UInt8(ascii: "q"), UInt8(ascii: "Q"), UInt8(ascii: "v"):
      self = try Self.parseNamed(&p)
    default:
      self = .unknown(String(decoding: [first], as: UTF8.self))
    }
  }

  /// The q/Q/v packets, named by their first word.
  private static func parseNamed(_ p: inout Parser) throws(GDBRequestError) -> GDBRequest {
    let name = p.word()
    switch name {
    case "qSupported":
      var features: [String] = []
      if p.peek() == UInt8(ascii: ":") {
        p.skip()
        features = String(decoding: p.rest(), as: UTF8.self).split(separator: ";").map(String.init)
      }
      return .querySupported(features: features)
    case "QStartNoAckMode": return .startNoAckMode
    case "qC": return .currentThread
    case "qfThreadInfo": return .firstThreadInfo
    case "qsThreadInfo": return .subsequentThreadInfo
    case "qAttached": return .attached
    case "qThreadExtraInfo":
      try p.expect(name, ",")
      let thread = try p.threadID(name)
      try p.end(name)
      return .threadExtraInfo(thread)
    case "qXfer":
      // qXfer:object:read:annex:offset,length
      try p.expect(name, ":")
      let object = String(decoding: p.until(UInt8(ascii: ":")), as: UTF8.self)
      try p.expect(name, ":")
      let operation = String(decoding: p.until(UInt8(ascii: ":")), as: UTF8.self)
      guard operation == "read" else { return .unknown("qXfer:\(object):\(operation)") }
      try p.expect(name, ":")
      let annex = String(decoding: p.until(UInt8(ascii: ":")), as: UTF8.self)
      try p.expect(name, ":")
      let offset = try p.number(name, "an offset")
      try p.expect(name, ",")
      let length = try p.number(name, "a length")
      try p.end(name)
      return .transfer(object: object, annex: annex, offset: offset, length: length)
    case "vCont?": return .vContQuery
    case "vCont":
      var actions: [ContinueAction] = []
      while p.peek() == UInt8(ascii: ";") {
        p.skip()
        let at = p.offset
        let kind: ContinueAction.Kind
        switch p.next() {
        case UInt8(ascii: "c"): kind = .continue
        case UInt8(ascii: "s"): kind = .step
        case UInt8(ascii: "t"): kind = .stop
        case UInt8(ascii: "C"), UInt8(ascii: "S"):
          kind = p.payload[at] == UInt8(ascii: "C") ? .continue : .step
          _ = try p.number("vCont", "a signal")
        default:
          throw GDBRequestError(
            command: "vCont", offset: at, expected: "an action c, C, s, S or t", found: p.foundText(at))
        }
        var thread: GDBThreadID?
        if p.peek() == UInt8(ascii: ":") {
          p.skip()
          thread = try p.threadID("vCont")
        }
        actions.append(ContinueAction(kind: kind, thread: thread))
      }
      try p.end("vCont")
      guard !actions.isEmpty else { throw p.error("vCont", "at least one action", "none") }
      return .vCont(actions)
    case "vKill": return .kill
    case "vFile":
      try p.expect(name, ":")
      let operation = String(decoding: p.until(UInt8(ascii: ":")), as: UTF8.self)
      try p.expect(name, ":")
      func numbers(_ count: Int) throws(GDBRequestError) -> [UInt64] {
        var out: [UInt64] = []
        for i in 0..<count {
          if i > 0 { try p.expect("vFile:" + operation, ",") }
          out.append(try p.number("vFile:" + operation, "a number"))
        }
        try p.end("vFile:" + operation)
        return out
      }
      switch operation {
      case "setfs": return .file(.setFilesystem(pid: try numbers(1)[0]))
      case "open":
        let pathAt = p.offset
        guard let path = GDBHex.decode(p.until(UInt8(ascii: ","))) else {
          throw GDBRequestError(
            command: "vFile:open", offset: pathAt, expected: "a hex-encoded path", found: p.foundText(pathAt))
        }
        try p.expect("vFile:open", ",")
        let rest = try numbers(2)
        return .file(.open(path: String(decoding: path, as: UTF8.self), flags: rest[0], mode: rest[1]))
      case "pread":
        let n = try numbers(3)
        return .file(.pread(fd: n[0], count: n[1], offset: n[2]))
      case "close": return .file(.close(fd: try numbers(1)[0]))
      case "fstat": return .file(.fstat(fd: try numbers(1)[0]))
      default: return .file(.other(operation))
      }
    default: return .unknown(name)
    }
  }
}

/// A cursor over a payload with the checks every field needs.
struct Parser {
  let payload: [UInt8]
  private(set) var offset = 0

  init(_ payload: [UInt8]) { self.payload = payload }

  var atEnd: Bool { offset >= payload.count }
  func peek() -> UInt8? { atEnd ? nil : payload[offset] }
  mutating func skip() { offset += 1 }
  mutating func next() -> UInt8? {
    defer { offset += 1 }
    return peek()
  }

  /// Up to the first of `:`, `,`, `;` (what ends a command word); `vCont?` keeps its `?`.
  mutating func word() -> String {
    let start = offset
    while let b = peek(), b != UInt8(ascii: ":"), b != UInt8(ascii: ","), b != UInt8(ascii: ";") { offset += 1 }
    return String(decoding: payload[start..<offset], as: UTF8.self)
  }

  mutating func until(_ stop: UInt8) -> ArraySlice<UInt8> {
    let start = offset
    while let b = peek(), b != stop { offset += 1 }
    return payload[start..<offset]
  }

  mutating func rest() -> [UInt8] {
    defer { offset = payload.count }
    return Array(payload[min(offset, payload.count)...])
  }

  func foundText(_ at: Int? = nil) -> String {
    let i = at ?? offset
    guard i < payload.count else { return "the end" }
    let b = payload[i]
    return b >= 0x20 && b < 0x7f ? "'\(String(decoding: [b], as: UTF8.self))'" : "byte 0x\(hex2(b))"
  }

  func error(_ command: String, _ expected: String, _ found: String) -> GDBRequestError {
    GDBRequestError(command: command, offset: offset, expected: expected, found: found)
  }

  mutating func expect(_ command: String, _ c: Character) throws(GDBRequestError) {
    guard let ascii = c.asciiValue, peek() == ascii else { throw error(command, "'\(c)'", foundText()) }
    offset += 1
  }

  func end(_ command: String) throws(GDBRequestError) {
    guard atEnd else { throw error(command, "the end of the packet", foundText()) }
  }

  /// Big-endian hex, 1 to 16 digits.
  mutating func number(_ command: String, _ what: String) throws(GDBRequestError) -> UInt64 {
    let start = offset
    var value: UInt64 = 0
    while let b = peek(), let digit = hexValue(b) {
      guard offset - start < 16 else { throw error(command, "\(what) of at most 16 hex digits", "more") }
      value = value << 4 | UInt64(digit)
      offset += 1
    }
    guard offset > start else { throw error(command, what + " in hex", foundText()) }
    return value
  }

  mutating func registerNumber(_ command: String) throws(GDBRequestError) -> Int {
    let at = offset
    let n = try number(command, "a register number")
    guard let r = Int(exactly: n), r < 4096 else {
      throw GDBRequestError(command: command, offset: at, expected: "a register number", found: GDBHex.number(n))
    }
    return r
  }

  /// The rest of the payload as hex data.
  mutating func hexBytes(_ command: String) throws(GDBRequestError) -> [UInt8] {
    let start = offset
    let text = payload[start...]
    if let bytes = GDBHex.decode(text) {
      offset = payload.count
      return bytes
    }
    if text.count % 2 != 0 { throw error(command, "an even number of hex digits", "\(text.count)") }
    let bad = text.firstIndex { hexValue($0) == nil } ?? start
    throw GDBRequestError(command: command, offset: bad, expected: "hex data", found: foundText(bad))
  }

  /// `-1`, `0`, hex, or `p<pid>.<tid>` (tid may be -1).
  mutating func threadID(_ command: String) throws(GDBRequestError) -> GDBThreadID {
    if peek() == UInt8(ascii: "p") {
      offset += 1
      if peek() == UInt8(ascii: "-") {
        offset += 1
        try expect(command, "1")
      } else {
        _ = try number(command, "a process id")
      }
      guard peek() == UInt8(ascii: ".") else { return .all }
      offset += 1
    }
    if peek() == UInt8(ascii: "-") {
      offset += 1
      try expect(command, "1")
      return .all
    }
    let id = try number(command, "a thread id")
    return id == 0 ? .any : .thread(id)
  }
}
