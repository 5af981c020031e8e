/// Frames a payload as `$payload#cs`, escaping the bytes the framing reserves (`$`, `#`, `}`, and `*`, which
/// would read as run-length encoding) as `}` followed by the byte XOR 0x20. Binary-safe: qXfer data and
/// memory go through it as they are. Replies are never run-length encoded.
public enum GDBPacketEncoder {
  public static func frame(_ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(payload.count + 4)
    out.append(UInt8(ascii: "$"))
    var sum: UInt8 = 0
    for byte in payload {
      switch byte {
      case UInt8(ascii: "$"), UInt8(ascii: "#"), UInt8(ascii: "}"), UInt8(ascii: "*"):
        out.append(UInt8(ascii: "}"))
        out.append(byte ^ 0x20)
        sum &+= UInt8(ascii: "}") &+ (byte ^ 0x20)
      default:
        out.append(byte)
        sum &+= byte
      }
    }
    out.append(UInt8(ascii: "#"))
    out.append(contentsOf: hex2(sum).utf8)
    return out
  }

  public static func frame(_ text: String) -> [UInt8] { frame(Array(text.utf8)) }
}
