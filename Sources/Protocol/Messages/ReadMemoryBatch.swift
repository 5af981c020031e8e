/// ReadMemoryBatchApi (0x3171, new): read several ranges in one round trip.
///
/// u: `RangeCount u32 @16` (1 to 64). Request data: RangeCount × `{Address u64, Length u32, reserved u32}`.
/// Reply data: RangeCount × `{ActualBytesRead u32, Status u32}`, then each range's bytes in order.
/// The reply's total must fit the negotiated maximum payload; the server shortens ranges (STATUS_PARTIAL_COPY)
/// rather than exceed it.
public struct ReadMemoryBatch: ManipulateBody {
  public static let api = ApiNumber.readMemoryBatch
  public static let maxRanges = 64

  public struct Range: Equatable, Sendable {
    public var address: UInt64
    public var length: UInt32
    public init(address: UInt64, length: UInt32) {
      self.address = address
      self.length = length
    }
  }

  public struct Result: Equatable, Sendable {
    public var status: NTStatus
    public var bytes: [UInt8]
    public init(status: NTStatus, bytes: [UInt8]) {
      self.status = status
      self.bytes = bytes
    }
  }

  public var ranges: [Range]
  /// Empty in requests; one per range in replies.
  public var results: [Result]

  public init(ranges: [Range], results: [Result] = []) {
    self.ranges = ranges
    self.results = results
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    try u.reserved(u.remaining)
    if count == 0 || count > Self.maxRanges {
      throw .invalidValue(field: "RangeCount", found: UInt64(count), offset: countAt)
    }
    var d = d
    ranges = []
    for _ in 0..<count {
      let address = try d.u64()
      let length = try d.u32()
      try d.reserved32()
      ranges.append(Range(address: address, length: length))
    }
    results = []
    if d.remaining == 0 { return }
    var counts: [(UInt32, NTStatus)] = []
    for _ in 0..<count { counts.append((try d.u32(), NTStatus(try d.u32()))) }
    for (actual, status) in counts {
      results.append(Result(status: status, bytes: try d.bytes(Int(actual))))
    }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(UInt32(ranges.count))
    for range in ranges {
      d.u64(range.address)
      d.u32(range.length)
      d.u32(0)
    }
    if results.isEmpty { return }
    for result in results {
      d.u32(UInt32(result.bytes.count))
      d.u32(result.status.rawValue)
    }
    for result in results { d.append(result.bytes) }
  }
}
