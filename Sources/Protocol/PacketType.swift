/// KD's packet types (windbgkd.h), plus the few that a TLS session adds outside KD's range (0x20 and up).
///
/// An open set: a frame with a type we do not know still decodes, so the receiver can answer
/// "not implemented" and go on.
public struct PacketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// KD_UNUSED: carried by break-in frames.
  public static let unused = PacketType(rawValue: 0)
  /// Legacy 32-bit state change; never sent by us.
  public static let stateChange32 = PacketType(rawValue: 1)
  /// PACKET_TYPE_KD_STATE_MANIPULATE: every request and its reply (DBGKD_MANIPULATE_STATE64 shape).
  public static let stateManipulate = PacketType(rawValue: 2)
  /// PACKET_TYPE_KD_DEBUG_IO: debug print output from the target.
  public static let debugIO = PacketType(rawValue: 3)
  /// PACKET_TYPE_KD_ACKNOWLEDGE (control).
  public static let acknowledge = PacketType(rawValue: 4)
  /// PACKET_TYPE_KD_RESEND (control): "send your last data packet again".
  public static let resend = PacketType(rawValue: 5)
  /// PACKET_TYPE_KD_RESET (control): resynchronise; the target answers RESET and re-reports its state.
  public static let reset = PacketType(rawValue: 6)
  /// PACKET_TYPE_KD_STATE_CHANGE64: break notifications, load-symbols, and our "running" state.
  public static let stateChange64 = PacketType(rawValue: 7)
  /// New: the client's hello, first frame of every session.
  public static let hello = PacketType(rawValue: 0x20)
  /// New: the server's reply to the hello.
  public static let helloReply = PacketType(rawValue: 0x21)
  /// New: the sender is closing the session, with a status and a reason.
  public static let goodbye = PacketType(rawValue: 0x22)

  /// New: a packet the receiver cannot serve (unknown packet type, a request out of turn); the session goes on.
  public static let refused = PacketType(rawValue: 0x23)
  /// New: tag tracepoint events, to a session that subscribed (PoolTraceSubscribeApi).
  public static let poolTrace = PacketType(rawValue: 0x24)

  public var isControl: Bool { self == .acknowledge || self == .resend || self == .reset }

  public var description: String {
    switch self {
    case .unused: "KD_UNUSED"
    case .stateChange32: "KD_STATE_CHANGE32"
    case .stateManipulate: "KD_STATE_MANIPULATE"
    case .debugIO: "KD_DEBUG_IO"
    case .acknowledge: "KD_ACKNOWLEDGE"
    case .resend: "KD_RESEND"
    case .reset: "KD_RESET"
    case .stateChange64: "KD_STATE_CHANGE64"
    case .hello: "HELLO"
    case .helloReply: "HELLO_REPLY"
    case .goodbye: "GOODBYE"
    case .refused: "REFUSED"
    case .poolTrace: "POOL_TRACE"
    default: "packet type 0x\(String(rawValue, radix: 16))"
    }
  }
}
