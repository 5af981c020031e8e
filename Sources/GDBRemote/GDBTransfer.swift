/// A `qXfer:…:read` reply: the part of `object` at [offset, offset+length), prefixed `m` when more follows and
/// `l` when this is the last part (an offset at or past the end gives a bare `l`). The bytes go out as they
/// are; the packet encoder escapes what the framing reserves.
public enum GDBTransfer {
  public static func chunk(_ object: [UInt8], offset: UInt64, length: UInt64) -> [UInt8] {
    guard offset < UInt64(object.count) else { return [UInt8(ascii: "l")] }
    let start = Int(offset)
    let end = Int(min(UInt64(object.count), offset + min(length, UInt64(object.count))))
    let last = end >= object.count
    return [UInt8(ascii: last ? "l" : "m")] + object[start..<end]
  }
}
