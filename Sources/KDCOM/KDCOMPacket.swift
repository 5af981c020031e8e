import KDProtocol

/// The framing of KD's serial protocol, as Windows' kdcom speaks it on a COM port (and VirtualBox's KD stub,
/// Xen's kdd and QEMU's stub over a pipe or TCP): a 16-byte little-endian header, the payload, and a trailing
/// 0xAA after data packets. Facts from docs/PROTOCOL.md's sources (windbgkd.h as ReactOS defines it, kdd.h).
///
/// ```
/// +0  PacketLeader  u32   "0000" (0x30303030) data, "iiii" (0x69696969) control
/// +4  PacketType    u16   PacketType
/// +6  ByteCount     u16   payload bytes (at most 4000)
/// +8  PacketId      u32   0x80800000 / 0x80800001 alternating; 0x800 (SYNC) set on a first packet
/// +12 Checksum      u32   the byte sum of the payload (0 for control packets)
/// +16 payload, then 0xAA  (data packets only)
/// ```
public enum KDCOMPacket {
  public static let headerSize = 16
  public static let dataLeader: UInt32 = 0x3030_3030
  public static let controlLeader: UInt32 = 0x6969_6969
  public static let dataLeaderByte: UInt8 = 0x30
  public static let controlLeaderByte: UInt8 = 0x69
  /// The debugger's break-in request: this byte alone, outside any packet.
  public static let breakInByte: UInt8 = 0x62
  public static let trailingByte: UInt8 = 0xAA
  /// PACKET_MAX_SIZE: a longer ByteCount is refused.
  public static let maxPayload = 4000
  public static let initialPacketId: UInt32 = 0x8080_0000
  public static let syncPacketId: UInt32 = 0x0000_0800

  /// The byte sum the Checksum field carries.
  public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    bytes.reduce(0) { $0 &+ UInt32($1) }
  }

  /// A data packet: header, payload, trailer. `payload` longer than ``maxPayload`` is our own bug.
  public static func data(type: PacketType, id: UInt32, payload: [UInt8]) -> [UInt8] {
    precondition(payload.count <= maxPayload, "KDCOM payload of \(payload.count) bytes")
    var out = header(leader: dataLeader, type: type, byteCount: UInt16(payload.count), id: id, sum: checksum(payload))
    out += payload
    out.append(trailingByte)
    return out
  }

  /// A control packet (ACKNOWLEDGE, RESEND, RESET): the header alone.
  public static func control(type: PacketType, id: UInt32) -> [UInt8] {
    header(leader: controlLeader, type: type, byteCount: 0, id: id, sum: 0)
  }

  private static func header(leader: UInt32, type: PacketType, byteCount: UInt16, id: UInt32, sum: UInt32)
    -> [UInt8]
  {
    var out: [UInt8] = []
    out.reserveCapacity(headerSize + Int(byteCount) + 1)
    func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    u32(leader)
    out += [UInt8(truncatingIfNeeded: type.rawValue), UInt8(truncatingIfNeeded: type.rawValue >> 8)]
    out += [UInt8(truncatingIfNeeded: byteCount), UInt8(truncatingIfNeeded: byteCount >> 8)]
    u32(id)
    u32(sum)
    return out
  }
}
