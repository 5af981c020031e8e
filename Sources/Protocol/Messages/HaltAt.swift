/// HaltAtApi (0x3192, new): the target halts by itself once its virtual time reaches VirtualTime (ours; `kd score`
/// runs a scenario in steps of virtual time with it). The halt is reported as a break-in. VirtualTime 0 clears it.
///
/// u: `VirtualTime u64 @16` (100 ns units since boot), `Now u64 @24` (out: the target's virtual time).
public struct HaltAt: ManipulateBody {
  public static let api = ApiNumber.haltAt
  public var virtualTime: UInt64
  public var now: UInt64

  public init(virtualTime: UInt64, now: UInt64 = 0) {
    self.virtualTime = virtualTime
    self.now = now
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    virtualTime = try u.u64()
    now = try u.u64()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(virtualTime)
    u.u64(now)
  }
}
