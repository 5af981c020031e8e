/// One entry of a breakpoint batch, 16 bytes: `Address u64 @0, Handle u32 @8, Status u32 @12`.
public struct BreakPointEntry: Equatable, Sendable {
  public static let size = 16
  public var address: UInt64
  public var handle: UInt32
  public var status: NTStatus

  public init(address: UInt64 = 0, handle: UInt32 = 0, status: NTStatus = .pending) {
    self.address = address
    self.handle = handle
    self.status = status
  }
}

/// The shared layout of DbgKdWriteBreakPointExApi (0x3147) and DbgKdRestoreBreakPointExApi (0x3148).
///
/// u: `BreakPointCount u32 @16, ContinueStatus u32 @20`. Data: BreakPointCount × ``BreakPointEntry``.
/// Write: the request gives addresses; the reply fills each handle and status. Restore: the request gives
/// handles; the reply fills each status. One round trip for any number of breakpoints.
public protocol BreakPointBatch: ManipulateBody {
  var entries: [BreakPointEntry] { get set }
  var continueStatus: UInt32 { get set }
  init(entries: [BreakPointEntry], continueStatus: UInt32)
}

extension BreakPointBatch {
  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    let continueStatus = try u.u32()
    try u.reserved(u.remaining)
    var d = d
    if d.remaining != count * BreakPointEntry.size {
      throw .lengthMismatch(
        field: "BreakPointCount", expected: count * BreakPointEntry.size, found: d.remaining, offset: countAt)
    }
    var entries: [BreakPointEntry] = []
    for _ in 0..<count {
      entries.append(BreakPointEntry(address: try d.u64(), handle: try d.u32(), status: NTStatus(try d.u32())))
    }
    self.init(entries: entries, continueStatus: continueStatus)
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(UInt32(entries.count))
    u.u32(continueStatus)
    for entry in entries {
      d.u64(entry.address)
      d.u32(entry.handle)
      d.u32(entry.status.rawValue)
    }
  }
}

public struct WriteBreakPointEx: BreakPointBatch {
  public static let api = ApiNumber.writeBreakPointEx
  public var entries: [BreakPointEntry]
  public var continueStatus: UInt32
  public init(entries: [BreakPointEntry], continueStatus: UInt32 = 0) {
    self.entries = entries
    self.continueStatus = continueStatus
  }
}

public struct RestoreBreakPointEx: BreakPointBatch {
  public static let api = ApiNumber.restoreBreakPointEx
  public var entries: [BreakPointEntry]
  public var continueStatus: UInt32
  public init(entries: [BreakPointEntry], continueStatus: UInt32 = 0) {
    self.entries = entries
    self.continueStatus = continueStatus
  }
}
