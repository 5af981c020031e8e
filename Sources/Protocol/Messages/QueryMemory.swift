/// DbgKdQueryMemoryApi (0x315C): what is mapped at an address.
///
/// u: `Address u64 @16` (in), `RegionBase u64 @24`, `RegionSize u64 @32`, `Protection u32 @40`
/// (bit 0 read, 1 write, 2 execute), `Kind u32 @44` (see ``Kind``), `reserved u64 @48`. KD's record has only
/// address, space and flags; ours adds the region's extent and kind. An unmapped address replies
/// STATUS_ACCESS_VIOLATION with Kind 0 and the unmapped gap as the region: RegionBase = Address, RegionSize =
/// bytes up to the next mapped address (or the end of the address space), so scans skip a gap in one request.
public struct QueryMemory: ManipulateBody {
  public static let api = ApiNumber.queryMemory

  public struct Kind: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let unmapped = Kind(rawValue: 0)
    public static let image = Kind(rawValue: 1)
    public static let nonPagedPool = Kind(rawValue: 2)
    public static let pagedPool = Kind(rawValue: 3)
    public static let stack = Kind(rawValue: 4)
    public static let kernelData = Kind(rawValue: 5)
  }

  public var address: UInt64
  public var regionBase: UInt64
  public var regionSize: UInt64
  public var protection: UInt32
  public var kind: Kind

  public init(
    address: UInt64, regionBase: UInt64 = 0, regionSize: UInt64 = 0, protection: UInt32 = 0, kind: Kind = .unmapped
  ) {
    self.address = address
    self.regionBase = regionBase
    self.regionSize = regionSize
    self.protection = protection
    self.kind = kind
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    regionBase = try u.u64()
    regionSize = try u.u64()
    protection = try u.u32()
    kind = Kind(rawValue: try u.u32())
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u64(regionBase)
    u.u64(regionSize)
    u.u32(protection)
    u.u32(kind.rawValue)
  }
}
