/// PoolTraceSubscribeApi (0x317A, new): this session receives the tag tracepoints' events as POOL_TRACE packets
/// (``PoolTraceEvents``) from now on (Subscribe 1), or no more (0). Observers may subscribe.
///
/// u: `Subscribe u32 @16` (0 or 1), `reserved u32 @20`, `Logged u64 @24` (out: events logged so far; the next one
/// streamed to this session has at least this sequence, while the same trace runs).
public struct PoolTraceSubscribe: ManipulateBody {
  public static let api = ApiNumber.poolTraceSubscribe
  public var subscribe: Bool
  public var logged: UInt64

  public init(subscribe: Bool, logged: UInt64 = 0) {
    self.subscribe = subscribe
    self.logged = logged
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    subscribe = try u.bool32(field: "Subscribe")
    try u.reserved32()
    logged = try u.u64()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(subscribe ? 1 : 0)
    u.u32(0)
    u.u64(logged)
  }
}
