/// WriteDataBreakPointApi (0x3175, ours): a data (processor) breakpoint, as KD's `ba` sets one in a debug register.
///
/// u: `Address u64 @16, Size u32 @24 (1, 2 or 4; 1 for execute), Access u32 @28, Handle u32 @32` (out: the
/// handle to restore it with; send 0). Access: 0 write, 1 read or write (KD's `ba r`), 2 execute, 3 read only
/// (gdb's `rwatch`; the emulator sees each access's direction). The server answers STATUS_INVALID_PARAMETER for
/// a size or alignment x86's debug registers cannot hold and STATUS_QUOTA_EXCEEDED past four (DR0-DR3).
public struct WriteDataBreakPoint: ManipulateBody {
  public static let api = ApiNumber.writeDataBreakPoint

  public enum Access: UInt32, Sendable {
    case write = 0
    case readWrite = 1
    case execute = 2
    case read = 3
  }

  public var address: UInt64
  public var size: UInt32
  public var access: Access
  public var handle: UInt32

  public init(address: UInt64, size: UInt32, access: Access, handle: UInt32 = 0) {
    self.address = address
    self.size = size
    self.access = access
    self.handle = handle
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    address = try u.u64()
    size = try u.u32()
    let accessAt = u.absoluteOffset
    let raw = try u.u32()
    guard let access = Access(rawValue: raw) else {
      throw .invalidValue(field: "Access", found: UInt64(raw), offset: accessAt)
    }
    self.access = access
    handle = try u.u32()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u64(address)
    u.u32(size)
    u.u32(access.rawValue)
    u.u32(handle)
  }
}
