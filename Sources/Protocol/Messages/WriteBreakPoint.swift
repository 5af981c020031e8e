/// DbgKdWriteBreakPointApi (0x3134): a software breakpoint (0xCC written into code).
///
/// u: `BreakPointAddress u64 @16, BreakPointHandle u32 @24` (out: the handle to restore it with).
public struct WriteBreakPoint: ManipulateBody {
  public static let api = ApiNumber.writeBreakPoint
  public var address: UInt64
  public var handle: UInt32

  public init(address: UInt64, handle: UInt32 = 0) {
    self.address = address
    self.handle = handle
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    handle = try u.u32()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u32(handle)
  }
}
