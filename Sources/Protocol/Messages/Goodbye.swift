/// The sender is closing the session (packet type 0x22): `Status u32 @0, ReasonLength u16 @4, reserved u16 @6,
/// Reason (UTF-8)`. A server sends it before disconnecting a peer (bad frame, deadline, shutdown, refused hello)
/// so the peer learns why; a client may send it to detach (`.detach`, `q`).
public struct Goodbye: Equatable, Sendable {
  public var status: NTStatus
  public var reason: String

  public init(status: NTStatus, reason: String) {
    self.status = status
    self.reason = reason
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    status = NTStatus(try r.u32())
    let lengthAt = r.absoluteOffset
    let length = Int(try r.u16())
    try r.reserved16()
    if r.remaining != length {
      throw .lengthMismatch(field: "ReasonLength", expected: length, found: r.remaining, offset: lengthAt)
    }
    reason = try r.utf8(length, field: "Reason")
  }

  public func encoded() -> [UInt8] {
    var text: [UInt8] = []
    for character in reason {
      let bytes = Array(String(character).utf8)
      if text.count + bytes.count > 1024 { break }
      text += bytes
    }
    var w = ByteWriter()
    w.u32(status.rawValue)
    w.u16(UInt16(text.count))
    w.u16(0)
    w.append(text)
    return w.bytes
  }
}
