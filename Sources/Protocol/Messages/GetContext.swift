/// DbgKdGetContextApi (0x3132): a thread's registers.
///
/// u: `Thread u32 @16` (KTHREAD address; 0 = the thread current on `Processor`). Reply data: an ``X86Context``
/// (64 bytes). Needs a halted target: a running one replies STATUS_INVALID_DEVICE_STATE.
public struct GetContext: ManipulateBody {
  public static let api = ApiNumber.getContext
  public var thread: UInt32
  public var context: X86Context?

  public init(thread: UInt32 = 0, context: X86Context? = nil) {
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

extension X86Context {
  /// Data that is either empty (a request) or exactly one context (a reply).
  static func optional(_ data: ByteReader) throws(PayloadError) -> X86Context? {
    var d = data
    if d.remaining == 0 { return nil }
    if d.remaining != size {
      throw .lengthMismatch(field: "CONTEXT", expected: size, found: d.remaining, offset: d.absoluteOffset)
    }
    return try X86Context(from: &d)
  }
}
