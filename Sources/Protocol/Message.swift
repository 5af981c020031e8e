/// A decoded frame: what the peer said.
public enum Message: Equatable, Sendable {
  case hello(Hello)
  case helloReply(HelloReply)
  case goodbye(Goodbye)
  case refused(Refused)
  case manipulate(ManipulateState)
  case stateChange(StateChange)
  case debugIO(DebugIO)
  /// Tag tracepoint events (new, packet type 0x24).
  case poolTrace(PoolTraceEvents)
  case acknowledge
  case resend
  case reset
  case breakIn
  /// A packet type this version does not know: the receiver answers STATUS_NOT_IMPLEMENTED and goes on.
  case unknown(type: PacketType, payload: [UInt8])

  /// Decodes a frame's payload according to its packet type.
  public init(frame: Frame) throws(PayloadError) {
    switch frame.leader {
    case .breakIn:
      self = .breakIn
      return
    case .control:
      switch frame.type {
      case .acknowledge: self = .acknowledge
      case .resend: self = .resend
      case .reset: self = .reset
      default: self = .unknown(type: frame.type, payload: [])
      }
      return
    case .data:
      break
    }
    switch frame.type {
    case .hello: self = .hello(try Hello(decoding: frame.payload))
    case .helloReply: self = .helloReply(try HelloReply(decoding: frame.payload))
    case .goodbye: self = .goodbye(try Goodbye(decoding: frame.payload))
    case .refused: self = .refused(try Refused(decoding: frame.payload))
    case .stateManipulate: self = .manipulate(try ManipulateState(decoding: frame.payload))
    case .stateChange64: self = .stateChange(try StateChange(decoding: frame.payload))
    case .debugIO: self = .debugIO(try DebugIO(decoding: frame.payload))
    case .poolTrace: self = .poolTrace(try PoolTraceEvents(decoding: frame.payload))
    default: self = .unknown(type: frame.type, payload: frame.payload)
    }
  }

  /// The frame that carries this message.
  public func frame(packetId: UInt32) -> Frame {
    switch self {
    case .hello(let m): Frame(type: .hello, packetId: packetId, payload: m.encoded())
    case .helloReply(let m): Frame(type: .helloReply, packetId: packetId, payload: m.encoded())
    case .goodbye(let m): Frame(type: .goodbye, packetId: packetId, payload: m.encoded())
    case .refused(let m): Frame(type: .refused, packetId: packetId, payload: m.encoded())
    case .manipulate(let m): Frame(type: .stateManipulate, packetId: packetId, payload: m.encoded())
    case .stateChange(let m): Frame(type: .stateChange64, packetId: packetId, payload: m.encoded())
    case .debugIO(let m): Frame(type: .debugIO, packetId: packetId, payload: m.encoded())
    case .poolTrace(let m): Frame(type: .poolTrace, packetId: packetId, payload: m.encoded())
    case .acknowledge: .control(.acknowledge, packetId: packetId)
    case .resend: .control(.resend, packetId: packetId)
    case .reset: .control(.reset, packetId: packetId)
    case .breakIn: .breakIn
    case .unknown(let type, let payload): Frame(type: type, packetId: packetId, payload: payload)
    }
  }

  /// The bytes of this message in a frame.
  public func encoded(packetId: UInt32) -> [UInt8] { FrameEncoder.encode(frame(packetId: packetId)) }
}
