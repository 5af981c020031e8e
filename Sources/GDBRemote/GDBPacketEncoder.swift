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

  /// A packet whose payload is `bytes` in hex (an `m` reply), in one pass: hex digits never need escaping.
  public static func frameHex(_ bytes: [UInt8]) -> [UInt8] {
    let digits = GDBHex.digits
    return [UInt8](unsafeUninitializedCapacity: 2 * bytes.count + 4) { out, count in
      out[0] = UInt8(ascii: "$")
      var sum: UInt8 = 0
      var i = 1
      bytes.withUnsafeBufferPointer { input in
        for b in input {
          let high = digits[Int(b >> 4)]
          let low = digits[Int(b & 15)]
          out[i] = high
          out[i + 1] = low
          sum = sum &+ high &+ low
          i += 2
        }
      }
      let checksum = Array(hex2(sum).utf8)
      out[i] = UInt8(ascii: "#")
      out[i + 1] = checksum[0]
      out[i + 2] = checksum[1]
      count = i + 3
    }
  }
}
