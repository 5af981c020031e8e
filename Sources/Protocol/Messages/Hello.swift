/// The client's first frame (packet type 0x20), before any other.
///
/// ```
/// +0  ProtocolMajor u16      +2  ProtocolMinor u16
/// +4  Flags u32              bit 0 AckRequested (KD per-packet acknowledgement; off = pipelined),
///                            bit 1 WantController (else observer), bit 2 BreakOnAttach (KD's -b)
/// +8  MaxPayload u32         0 = default (32768); at most 61440, at least 1024
/// +12 BreakStackFrames u32   frames per break notification; 0 = default (32); at most 256
/// +16 ClientNameLength u16   +18 TokenLength u16   (each at most 256)
/// +20 reserved u32
/// +24 ClientName (UTF-8), then Token (bytes)
/// ```
public struct Hello: Equatable, Sendable {
  public struct Flags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let ackRequested = Flags(rawValue: 1 << 0)
    public static let wantController = Flags(rawValue: 1 << 1)
    public static let breakOnAttach = Flags(rawValue: 1 << 2)
    static let known: Flags = [.ackRequested, .wantController, .breakOnAttach]
  }

  public var major: UInt16
  public var minor: UInt16
  public var flags: Flags
  public var maxPayload: UInt32
  public var breakStackFrames: UInt32
  public var clientName: String
  public var token: [UInt8]

  public init(
    clientName: String, flags: Flags = [.wantController], token: [UInt8] = [], maxPayload: UInt32 = 0,
    breakStackFrames: UInt32 = 0, major: UInt16 = ProtocolVersion.major, minor: UInt16 = ProtocolVersion.minor
  ) {
    self.major = major
    self.minor = minor
    self.flags = flags
    self.maxPayload = maxPayload
    self.breakStackFrames = breakStackFrames
    self.clientName = clientName
    self.token = token
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    major = try r.u16()
    minor = try r.u16()
    let flagsAt = r.absoluteOffset
    flags = Flags(rawValue: try r.u32())
    if !Flags.known.isSuperset(of: flags) {
      throw .reservedNotZero(found: UInt64(flags.subtracting(Flags.known).rawValue), offset: flagsAt)
    }
    let payloadAt = r.absoluteOffset
    maxPayload = try r.u32()
    if maxPayload != 0 && (maxPayload < Limits.minMaxPayload || maxPayload > Limits.hardMaxPayload) {
      throw .invalidValue(field: "MaxPayload", found: UInt64(maxPayload), offset: payloadAt)
    }
    let framesAt = r.absoluteOffset
    breakStackFrames = try r.u32()
    if breakStackFrames > Limits.maxStackFrames {
      throw .invalidValue(field: "BreakStackFrames", found: UInt64(breakStackFrames), offset: framesAt)
    }
    let nameAt = r.absoluteOffset
    let nameLength = Int(try r.u16())
    let tokenLength = Int(try r.u16())
    if nameLength > Limits.maxNameLength {
      throw .invalidValue(field: "ClientNameLength", found: UInt64(nameLength), offset: nameAt)
    }
    if tokenLength > Limits.maxTokenLength {
      throw .invalidValue(field: "TokenLength", found: UInt64(tokenLength), offset: nameAt + 2)
    }
    try r.reserved32()
    if r.remaining != nameLength + tokenLength {
      throw .lengthMismatch(
        field: "hello strings", expected: nameLength + tokenLength, found: r.remaining, offset: nameAt)
    }
    clientName = try r.utf8(nameLength, field: "ClientName")
    token = try r.bytes(tokenLength)
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter()
    w.u16(major)
    w.u16(minor)
    w.u32(flags.rawValue)
    w.u32(maxPayload)
    w.u32(breakStackFrames)
    w.u16(UInt16(clientName.utf8.count))
    w.u16(UInt16(token.count))
    w.u32(0)
    w.append(clientName.utf8)
    w.append(token)
    return w.bytes
  }
}
