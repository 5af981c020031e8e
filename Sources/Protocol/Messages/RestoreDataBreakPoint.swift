/// RestoreDataBreakPointApi (0x3176, ours): remove a data breakpoint.
///
/// u: `Handle u32 @16` (from WriteDataBreakPoint's reply).
public struct RestoreDataBreakPoint: ManipulateBody {
  public static let api = ApiNumber.restoreDataBreakPoint
  public var handle: UInt32

  public init(handle: UInt32) { self.handle = handle }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    handle = try u.u32()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(handle)
  }
}
