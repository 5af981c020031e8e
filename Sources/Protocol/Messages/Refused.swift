/// The answer to a data packet the receiver cannot serve (packet type 0x23), echoing its packet id:
/// `Status u32 @0` (STATUS_NOT_IMPLEMENTED for an unknown packet type, STATUS_INVALID_DEVICE_STATE for a packet
/// out of turn, STATUS_PRIVILEGE_NOT_HELD for a break-in from an observer), `RefusedType u16 @4`,
/// `reserved u16 @6`. The session goes on. (Unknown ApiNumbers inside KD_STATE_MANIPULATE are answered with a
/// manipulate reply carrying STATUS_NOT_IMPLEMENTED instead, as KD does.)
public struct Refused: Equatable, Sendable {
  public var status: NTStatus
  public var refusedType: PacketType

  public init(status: NTStatus, refusedType: PacketType) {
    self.status = status
    self.refusedType = refusedType
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    status = NTStatus(try r.u32())
    refusedType = PacketType(rawValue: try r.u16())
    try r.reserved16()
    try r.expectEnd()
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 8)
    w.u32(status.rawValue)
    w.u16(refusedType.rawValue)
    w.u16(0)
    return w.bytes
  }
}
