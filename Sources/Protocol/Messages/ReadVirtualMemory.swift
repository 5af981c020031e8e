/// DbgKdReadVirtualMemoryApi (0x3130), KD's READ_MEMORY64.
///
/// u: `TargetBaseAddress u64 @16, TransferCount u32 @24, ActualBytesRead u32 @28`. The reply's data holds
/// ActualBytesRead bytes. A read that stops at an unreadable page replies STATUS_PARTIAL_COPY with the bytes
/// before it (the first unreadable byte is at address + ActualBytesRead); nothing readable gives
/// STATUS_ACCESS_VIOLATION and no data. Never zero-filled stand-ins.
public struct ReadVirtualMemory: ManipulateBody {
  public static let api = ApiNumber.readVirtualMemory
  public var address: UInt64
  public var transferCount: UInt32
  public var actualBytesRead: UInt32
  public var data: [UInt8]

  public init(address: UInt64, transferCount: UInt32, actualBytesRead: UInt32 = 0, data: [UInt8] = []) {
    self.address = address
    self.transferCount = transferCount
    self.actualBytesRead = actualBytesRead
    self.data = data
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    transferCount = try u.u32()
    let actualAt = u.absoluteOffset
    actualBytesRead = try u.u32()
    try u.reserved(u.remaining)
    data = d.bytes
    if data.count != Int(actualBytesRead) && !data.isEmpty {
      throw .lengthMismatch(
        field: "ActualBytesRead", expected: Int(actualBytesRead), found: data.count, offset: actualAt)
    }
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u32(transferCount)
    u.u32(actualBytesRead)
    d.append(data)
  }
}
