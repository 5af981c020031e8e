/// The unit on the wire. It keeps KD's packet shape: a 16-byte little-endian header
/// (leader, packet type, byte count, packet id, checksum), the payload, and KD's trailing byte 0xAA after the
/// payload of data packets. Control packets and break-in packets are bare headers.
public struct Frame: Equatable, Sendable {
  /// KD's packet leaders.
  public enum Leader: UInt32, Sendable {
    /// "0000": data packets.
    case data = 0x3030_3030
    /// "iiii": control packets (acknowledge, resend, reset).
    case control = 0x6969_6969
    /// "bbbb": break-in (KD's BREAKIN_PACKET).
    case breakIn = 0x6262_6262
  }

  public static let headerSize = 16
  /// KD's PACKET_TRAILING_BYTE, after every data packet's payload.
  public static let trailingByte: UInt8 = 0xAA

  public var leader: Leader
  public var type: PacketType
  /// For requests: chosen by the client and echoed in the reply. For events: the server's event sequence.
  public var packetId: UInt32
  public var payload: [UInt8]

  public init(leader: Leader = .data, type: PacketType, packetId: UInt32, payload: [UInt8] = []) {
    self.leader = leader
    self.type = type
    self.packetId = packetId
    self.payload = payload
  }

  /// A control packet (no payload) of `type`.
  public static func control(_ type: PacketType, packetId: UInt32 = 0) -> Frame {
    Frame(leader: .control, type: type, packetId: packetId)
  }

  /// The break-in packet: halt the target now.
  public static let breakIn = Frame(leader: .breakIn, type: .unused, packetId: 0)

  /// Bytes this frame occupies on the wire.
  public var wireSize: Int { Frame.headerSize + payload.count + (leader == .data ? 1 : 0) }
}

/// KD's checksum: the unsigned 32-bit sum of all payload bytes.
public func kdChecksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
  var sum: UInt32 = 0
  for byte in bytes { sum &+= UInt32(byte) }
  return sum
}
