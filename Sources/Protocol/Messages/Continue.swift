/// KD's continue status values.
public enum ContinueStatus {
  public static let exceptionHandled: UInt32 = 0x0001_0001  // DBG_EXCEPTION_HANDLED
  public static let `continue`: UInt32 = 0x0001_0002  // DBG_CONTINUE
}

/// DbgKdContinueApi (0x3136): resume the target.
///
/// u: `ContinueStatus u32 @16`. Unlike KD, the server replies at once (so pipelined requests stay matched),
/// then sends a ``NewState/running`` state change; the next break arrives as a state change too.
public struct Continue: ManipulateBody {
  public static let api = ApiNumber.continue
  public var continueStatus: UInt32

  public init(continueStatus: UInt32 = ContinueStatus.continue) { self.continueStatus = continueStatus }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    continueStatus = try u.u32()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(continueStatus)
  }
}
