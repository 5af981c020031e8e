/// DbgKdWriteVirtualMemoryApi (0x3131), KD's WRITE_MEMORY64.
///
/// u: `TargetBaseAddress u64 @16, TransferCount u32 @24, ActualBytesWritten u32 @28`. The request's data holds
/// TransferCount bytes; the reply has no data. Code writes go through the target's code-write path (breakpoints
/// and the emulator's translation cache stay coherent). Partial writes reply STATUS_PARTIAL_COPY.
public struct WriteVirtualMemory: ManipulateBody {
  public static let api = ApiNumber.writeVirtualMemory
  public var address: UInt64
  public var transferCount: UInt32
  public var actualBytesWritten: UInt32
  public var data: [UInt8]

  public init(address: UInt64, data: [UInt8], actualBytesWritten: UInt32 = 0) {
    self.address = address
    self.transferCount = UInt32(data.count)
    self.actualBytesWritten = actualBytesWritten
    self.data = data
  }

  /// The reply to a write: no data, the count written.
  public func reply(written: UInt32) -> WriteVirtualMemory {
    var r = self
    r.actualBytesWritten = written
    r.data = []
    return r
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    let countAt = u.absoluteOffset
    transferCount = try u.u32()
    actualBytesWritten = try u.u32()
    try u.reserved(u.remaining)
    data = d.bytes
    if !data.isEmpty && data.count != Int(transferCount) {
      throw .lengthMismatch(field: "TransferCount", expected: Int(transferCount), found: data.count, offset: countAt)
    }
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u32(transferCount)
    u.u32(actualBytesWritten)
    d.append(data)
  }
}
