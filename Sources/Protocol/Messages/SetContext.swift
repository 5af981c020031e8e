/// DbgKdSetContextApi (0x3133): replace a thread's registers.
///
/// u: `Thread u32 @16` (0 = current). Request data: an ``X86Context`` (64 bytes); the reply has none.
public struct SetContext: ManipulateBody {
  public static let api = ApiNumber.setContext
  public var thread: UInt32
  public var context: X86Context?

  public init(thread: UInt32 = 0, context: X86Context?) {
    self.thread = thread
    self.context = context
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    thread = try u.u32()
    try u.reserved(u.remaining)
    context = try X86Context.optional(d)
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(thread)
    context?.encode(into: &d)
  }
}
