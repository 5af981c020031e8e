/// The 8-byte x86 XP POOL_HEADER: ULONG0 = PreviousSize:9 | PoolIndex:7 | BlockSize:9 | PoolType:7
/// (sizes in 8-byte units; PoolType 0 = free, else base type + 1), then the tag in memory order.
struct PoolHeader: Equatable {
  var previousUnits: UInt32
  var blockUnits: UInt32
  /// 0 free, 1 nonpaged in use, 2 paged in use.
  var poolType: UInt32
  var tag: UInt32

  init(previousUnits: UInt32, blockUnits: UInt32, poolType: UInt32, tag: UInt32) {
    self.previousUnits = previousUnits
    self.blockUnits = blockUnits
    self.poolType = poolType
    self.tag = tag
  }

  init(ulong0: UInt32, tag: UInt32) {
    previousUnits = ulong0 & 0x1ff
    blockUnits = ulong0 >> 16 & 0x1ff
    poolType = ulong0 >> 25
    self.tag = tag
  }

  var ulong0: UInt32 { previousUnits & 0x1ff | (blockUnits & 0x1ff) << 16 | poolType << 25 }

  static let size: UInt32 = 8
  /// Units of a page: blocks of up to 511 units live in pages; more goes to whole pages.
  static let unitsPerPage: UInt32 = 512
}
