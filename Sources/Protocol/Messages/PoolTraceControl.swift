/// PoolTraceControlApi (0x3179, new): tag tracepoints (ours; `!pooltrace`). On a matching ExAllocatePoolWithTag
/// or ExFreePoolWithTag the server logs the call (tag, size, address, pool, thread, virtual time, stack) to a
/// bounded ring without halting, and streams it to the sessions subscribed with ``PoolTraceSubscribe`` as
/// POOL_TRACE packets (``PoolTraceEvents``).
///
/// u: `Operation u32 @16` (0 status, 1 start, 2 stop), `Tag u32 @20` (0 every tag), `Kinds u32 @24` (bit 0
/// allocations, bit 1 frees), `Limit u32 @28` (stop after this many events; 0 none), `Active u32 @32` (out: 1 while
/// a trace runs), `reserved u32 @36`, `Logged u64 @40` (out: events logged since the start, the next event's
/// sequence), `Dropped u64 @48` (out: events the server's ring overwrote before it could stream them). A reply
/// carries the filter in force in Tag, Kinds and Limit (the last one's after a stop). No data either way.
public struct PoolTraceControl: ManipulateBody {
  public static let api = ApiNumber.poolTraceControl

  public enum Operation: UInt32, Sendable {
    case status = 0
    case start = 1
    case stop = 2
  }

  public struct Kinds: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let allocations = Kinds(rawValue: 1)
    public static let frees = Kinds(rawValue: 2)
  }

  public var operation: Operation
  public var tag: UInt32
  public var kinds: Kinds
  public var limit: UInt32
  public var active: Bool
  public var logged: UInt64
  public var dropped: UInt64

  public init(
    operation: Operation, tag: UInt32 = 0, kinds: Kinds = [.allocations, .frees], limit: UInt32 = 0,
    active: Bool = false, logged: UInt64 = 0, dropped: UInt64 = 0
  ) {
    self.operation = operation
    self.tag = tag
    self.kinds = kinds
    self.limit = limit
    self.active = active
    self.logged = logged
    self.dropped = dropped
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    let operationAt = u.absoluteOffset
    let raw = try u.u32()
    guard let operation = Operation(rawValue: raw) else {
      throw .invalidValue(field: "Operation", found: UInt64(raw), offset: operationAt)
    }
    self.operation = operation
    tag = try u.u32()
    let kindsAt = u.absoluteOffset
    let kinds = try u.u32()
    if kinds > 3 { throw .invalidValue(field: "Kinds", found: UInt64(kinds), offset: kindsAt) }
    self.kinds = Kinds(rawValue: kinds)
    limit = try u.u32()
    active = try u.bool32(field: "Active")
    try u.reserved32()
    logged = try u.u64()
    dropped = try u.u64()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(operation.rawValue)
    u.u32(tag)
    u.u32(kinds.rawValue)
    u.u32(limit)
    u.u32(active ? 1 : 0)
    u.u32(0)
    u.u64(logged)
    u.u64(dropped)
  }
}
