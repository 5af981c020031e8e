/// Frame -> bytes. Encoding cannot fail for a frame within the limits; a larger payload is our own bug.
public enum FrameEncoder {
  public static func encode(_ frame: Frame) -> [UInt8] {
    var out: [UInt8] = []
    encode(frame, into: &out)
    return out
  }

  public static func encode(_ frame: Frame, into out: inout [UInt8]) {
    precondition(frame.payload.count <= Limits.hardMaxPayload, "payload of \(frame.payload.count) bytes")
    precondition(frame.leader == .data || frame.payload.isEmpty, "control and break-in packets carry no payload")
    var w = ByteWriter(capacity: frame.wireSize)
    w.u32(frame.leader.rawValue)
    w.u16(frame.type.rawValue)
    w.u16(UInt16(frame.payload.count))
    w.u32(frame.packetId)
    w.u32(kdChecksum(frame.payload))
    out.reserveCapacity(out.count + frame.wireSize)
    out.append(contentsOf: w.bytes)
    if frame.leader == .data {
      out.append(contentsOf: frame.payload)
      out.append(Frame.trailingByte)
    }
  }
}
