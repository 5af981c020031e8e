/// A CodeView numeric leaf: a value below 0x8000 stands for itself; above, it names the width of the value
/// that follows (LF_CHAR … LF_UQUADWORD).
struct NumericLeaf {
  var signed: Int64
  var unsigned: UInt64

  static func read(_ r: inout ByteReader) throws(ImageFormatError) -> NumericLeaf {
    let at = r.offset
    let tag = try r.u16()
    if tag < 0x8000 { return NumericLeaf(signed: Int64(tag), unsigned: UInt64(tag)) }
    switch tag {
    case 0x8000:
      let v = Int8(bitPattern: try r.u8())
      return NumericLeaf(signed: Int64(v), unsigned: UInt64(UInt8(bitPattern: v)))
    case 0x8001:
      let v = Int16(bitPattern: try r.u16())
      return NumericLeaf(signed: Int64(v), unsigned: UInt64(UInt16(bitPattern: v)))
    case 0x8002:
      let v = try r.u16()
      return NumericLeaf(signed: Int64(v), unsigned: UInt64(v))
    case 0x8003:
      let v = try r.i32()
      return NumericLeaf(signed: Int64(v), unsigned: UInt64(UInt32(bitPattern: v)))
    case 0x8004:
      let v = try r.u32()
      return NumericLeaf(signed: Int64(v), unsigned: UInt64(v))
    case 0x8009, 0x800a:
      let v = try r.u64()
      return NumericLeaf(signed: Int64(bitPattern: v), unsigned: v)
    default:
      throw .malformed(
        stream: r.stream, offset: at, expected: "a numeric leaf (below 0x8000, or 0x8000-0x8004, 0x8009, 0x800a)",
        found: "0x" + String(tag, radix: 16))
    }
  }
}
