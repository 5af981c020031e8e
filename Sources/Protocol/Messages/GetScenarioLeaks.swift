/// GetScenarioLeaksApi (0x3191, new): the leaking call sites the running scenario declares in its manifest (ours;
/// the ground truth `kd score` grades against).
///
/// u: `Count u32 @16` (out). Request data: none. Reply data: Count × ``Leak``, 32 bytes each:
/// `Function u32 @0` (the address of the function whose allocation leaks), `Tag u32 @4` (memory order),
/// `Flags u32 @8` (bit 0: the leaked blocks stay referenced), `reserved u32 @12`,
/// `BlocksPerSecond u64 @16, BytesPerSecond u64 @24` (both in thousandths).
public struct GetScenarioLeaks: ManipulateBody {
  public static let api = ApiNumber.getScenarioLeaks

  public struct Leak: Equatable, Sendable {
    public static let size = 32
    public var function: UInt32
    public var tag: UInt32
    public var referenced: Bool
    public var milliBlocksPerSecond: UInt64
    public var milliBytesPerSecond: UInt64

    public init(
      function: UInt32, tag: UInt32, referenced: Bool, milliBlocksPerSecond: UInt64, milliBytesPerSecond: UInt64
    ) {
      self.function = function
      self.tag = tag
      self.referenced = referenced
      self.milliBlocksPerSecond = milliBlocksPerSecond
      self.milliBytesPerSecond = milliBytesPerSecond
    }
  }

  public var leaks: [Leak]

  public init(leaks: [Leak] = []) { self.leaks = leaks }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    if d.remaining != count * Leak.size {
      throw .lengthMismatch(field: "Count", expected: count * Leak.size, found: d.remaining, offset: countAt)
    }
    leaks = []
    for _ in 0..<count {
      let function = try d.u32()
      let tag = try d.u32()
      let flagsAt = d.absoluteOffset
      let flags = try d.u32()
      if flags > 1 { throw .invalidValue(field: "Flags", found: UInt64(flags), offset: flagsAt) }
      try d.reserved32()
      leaks.append(
        Leak(
          function: function, tag: tag, referenced: flags == 1, milliBlocksPerSecond: try d.u64(),
          milliBytesPerSecond: try d.u64()))
    }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(UInt32(leaks.count))
    for l in leaks {
      d.u32(l.function)
      d.u32(l.tag)
      d.u32(l.referenced ? 1 : 0)
      d.u32(0)
      d.u64(l.milliBlocksPerSecond)
      d.u64(l.milliBytesPerSecond)
    }
  }
}
