/// The server's answer to ``Hello`` (packet type 0x21).
///
/// ```
/// +0  ProtocolMajor u16      +2  ProtocolMinor u16  (the minor both speak)
/// +4  Status u32             STATUS_SUCCESS, or why the session is refused (then the server closes):
///                            STATUS_ACCESS_DENIED (token), STATUS_DEVICE_BUSY (controller taken),
///                            STATUS_REVISION_MISMATCH (major version), STATUS_QUOTA_EXCEEDED (sessions or
///                            observers at their limit)
/// +8  Role u32               0 none (refused), 1 controller, 2 observer
/// +12 MaxPayload u32         negotiated: min(requested or default, server's)
/// +16 BreakStackFrames u32   negotiated frames per break notification
/// +20 SessionId u32
/// +24 TargetState u32        1 running, 2 halted
/// +28 Flags u32              bit 0 acknowledgements on, bit 1 server requires a token, bit 2 takeover allowed
/// +32 ServerNameLength u16   +34 Window u16  requests a client may have in flight (0: not stated, assume 1)
/// +36 StateChangeLength u32  0, or the length of the current break event when halted
/// +40 ServerName (UTF-8), then the break event as a complete KD_STATE_CHANGE64 payload
/// ```
public struct HelloReply: Equatable, Sendable {
  public enum Role: UInt32, Sendable { case none = 0, controller = 1, observer = 2 }
  public enum TargetState: UInt32, Sendable { case running = 1, halted = 2 }
  public struct Flags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let acknowledgements = Flags(rawValue: 1 << 0)
    public static let tokenRequired = Flags(rawValue: 1 << 1)
    public static let takeoverAllowed = Flags(rawValue: 1 << 2)
    static let known: Flags = [.acknowledgements, .tokenRequired, .takeoverAllowed]
  }

  public var major: UInt16 = ProtocolVersion.major
  public var minor: UInt16 = ProtocolVersion.minor
  public var status: NTStatus
  public var role: Role
  public var maxPayload: UInt32
  public var breakStackFrames: UInt32
  public var sessionId: UInt32
  public var targetState: TargetState
  public var flags: Flags
  /// Requests the client may have outstanding at once; past it the server says GOODBYE (STATUS_QUOTA_EXCEEDED).
  /// 0 from a server that does not state one: send one request at a time.
  public var window: UInt16
  public var serverName: String
  /// The current break event, when the target is halted.
  public var breakEvent: StateChange?

  public init(
    status: NTStatus, role: Role, maxPayload: UInt32, breakStackFrames: UInt32, sessionId: UInt32,
    targetState: TargetState, flags: Flags = [], window: UInt16 = 0, serverName: String,
    breakEvent: StateChange? = nil
  ) {
    self.window = window
    self.status = status
    self.role = role
    self.maxPayload = maxPayload
    self.breakStackFrames = breakStackFrames
    self.sessionId = sessionId
    self.targetState = targetState
    self.flags = flags
    self.serverName = serverName
    self.breakEvent = breakEvent
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    major = try r.u16()
    minor = try r.u16()
    status = NTStatus(try r.u32())
    let roleAt = r.absoluteOffset
    let rawRole = try r.u32()
    guard let role = Role(rawValue: rawRole) else {
      throw .invalidValue(field: "Role", found: UInt64(rawRole), offset: roleAt)
    }
    self.role = role
    maxPayload = try r.u32()
    breakStackFrames = try r.u32()
    sessionId = try r.u32()
    let stateAt = r.absoluteOffset
    let rawState = try r.u32()
    guard let state = TargetState(rawValue: rawState) else {
      throw .invalidValue(field: "TargetState", found: UInt64(rawState), offset: stateAt)
    }
    targetState = state
    let flagsAt = r.absoluteOffset
    flags = Flags(rawValue: try r.u32())
    if !Flags.known.isSuperset(of: flags) {
      throw .reservedNotZero(found: UInt64(flags.subtracting(Flags.known).rawValue), offset: flagsAt)
    }
    let nameAt = r.absoluteOffset
    let nameLength = Int(try r.u16())
    window = try r.u16()
    let eventLength = Int(try r.u32())
    if r.remaining != nameLength + eventLength {
      throw .lengthMismatch(
        field: "hello reply strings", expected: nameLength + eventLength, found: r.remaining, offset: nameAt)
    }
    serverName = try r.utf8(nameLength, field: "ServerName")
    if eventLength > 0 {
      // The embedded event's offsets are reported relative to where a state change payload would start.
      breakEvent = try StateChange(decoding: try r.bytes(eventLength))
    }
  }

  public func encoded() -> [UInt8] {
    let event = breakEvent?.encoded() ?? []
    var w = ByteWriter()
    w.u16(major)
    w.u16(minor)
    w.u32(status.rawValue)
    w.u32(role.rawValue)
    w.u32(maxPayload)
    w.u32(breakStackFrames)
    w.u32(sessionId)
    w.u32(targetState.rawValue)
    w.u32(flags.rawValue)
    w.u16(UInt16(truncatingIfNeeded: serverName.utf8.count))
    w.u16(window)
    w.u32(UInt32(event.count))
    w.append(serverName.utf8)
    w.append(event)
    return w.bytes
  }
}
