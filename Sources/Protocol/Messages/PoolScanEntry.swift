/// One allocating call site in a ``PoolScan`` reply, 36 bytes plus its lost blocks' addresses:
///
/// `CallSite u32 @0, Tag u32 @4, Blocks u32 @8, LostBlocks u32 @12, Bytes u64 @16, LostBytes u64 @24,
/// AddressCount u16 @32, reserved u16 @34, Addresses AddressCount × u32` (the lowest lost blocks' body addresses,
/// at most ``Limits/maxPoolScanAddresses``). CallSite 0: nt's own allocations and blocks of no known site, per tag.
public struct PoolScanEntry: Equatable, Sendable {
  public static let fixedSize = 36
  public var callSite: UInt32
  public var tag: UInt32
  public var blocks: UInt32
  public var lostBlocks: UInt32
  public var bytes: UInt64
  public var lostBytes: UInt64
  public var lostAddresses: [UInt32]

  public init(
    callSite: UInt32, tag: UInt32, blocks: UInt32, lostBlocks: UInt32, bytes: UInt64, lostBytes: UInt64,
    lostAddresses: [UInt32]
  ) {
    self.callSite = callSite
    self.tag = tag
    self.blocks = blocks
    self.lostBlocks = lostBlocks
    self.bytes = bytes
    self.lostBytes = lostBytes
    self.lostAddresses = lostAddresses
  }

  public var encodedSize: Int { Self.fixedSize + 4 * lostAddresses.count }

  init(from r: inout ByteReader) throws(PayloadError) {
    callSite = try r.u32()
    tag = try r.u32()
    blocks = try r.u32()
    lostBlocks = try r.u32()
    bytes = try r.u64()
    lostBytes = try r.u64()
    let countAt = r.absoluteOffset
    let count = Int(try r.u16())
    try r.reserved16()
    if count > Limits.maxPoolScanAddresses {
      throw .invalidValue(field: "AddressCount", found: UInt64(count), offset: countAt)
    }
    try r.require(4 * count)
    lostAddresses = []
    for _ in 0..<count { lostAddresses.append(try r.u32()) }
  }

  func encode(into w: inout ByteWriter) {
    w.u32(callSite)
    w.u32(tag)
    w.u32(blocks)
    w.u32(lostBlocks)
    w.u64(bytes)
    w.u64(lostBytes)
    w.u16(UInt16(lostAddresses.count))
    w.u16(0)
    for a in lostAddresses { w.u32(a) }
  }
}
