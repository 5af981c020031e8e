/// DbgKdRestoreBreakPointApi (0x3135): remove a breakpoint, restoring the original byte.
///
/// u: `BreakPointHandle u32 @16`.
public struct RestoreBreakPoint: ManipulateBody {
  public static let api = ApiNumber.restoreBreakPoint
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
