import KDProtocol

/// KD's DBGKD_MANIPULATE_STATE64 as kd sends it on a serial line, made into what KDProtocol's strict decoder
/// takes. kd does not zero what a request leaves unused (the word at +12, the rest of the 40-byte union), so for
/// the operations whose union layout KDProtocol shares with KD (docs/PROTOCOL.md, section 14) only the fields the
/// operation defines are kept and the rest is zeroed.
public enum KDCOMManipulate {
  /// Bytes of the union each shared operation defines (its fields, from windbgkd.h).
  static let unionFields: [ApiNumber: Int] = [
    .readVirtualMemory: 16,  // TargetBaseAddress u64, TransferCount u32, ActualBytesRead u32
    .writeVirtualMemory: 16,  // TargetBaseAddress u64, TransferCount u32, ActualBytesWritten u32
    .writeBreakPoint: 12,  // BreakPointAddress u64, BreakPointHandle u32
    .restoreBreakPoint: 4,  // BreakPointHandle u32
    .continue: 4,  // ContinueStatus u32
    .continue2: 20,  // ContinueStatus u32, DBGKD_CONTROL_SET (x86: TraceFlag, Dr7, CurrentSymbolStart, End)
    .reboot: 0,
    .getVersion: 0,  // the reply fills DBGKD_GET_VERSION64
    .writeBreakPointEx: 8,  // BreakPointCount u32, ContinueStatus u32
    .restoreBreakPointEx: 8,
    .searchMemory: 20,  // SearchAddress u64, SearchLength u64, PatternLength u32
  ]

  /// A little-endian field of a request (`at` + 4, or + 8, must be within it).
  public static func u32(_ payload: [UInt8], at: Int) -> UInt32 { payload.u32(at: at) }
  public static func u64(_ payload: [UInt8], at: Int) -> UInt64 { payload.u64(at: at) }
  public static func store<T: FixedWidthInteger>(_ value: T, in payload: inout [UInt8], at: Int) {
    payload.store(value, at: at)
  }

  /// The operation a payload names, if it is long enough to name one.
  public static func api(of payload: [UInt8]) -> ApiNumber? {
    guard payload.count >= 4 else { return nil }
    return ApiNumber(rawValue: payload.u32(at: 0))
  }

  /// `payload` with its unused bytes zeroed, for an operation KDProtocol decodes; nil for any other. The
  /// request data after the 56-byte header is kept as sent (for a read, kd sends none).
  public static func normalized(_ payload: [UInt8]) -> [UInt8]? {
    guard payload.count >= ManipulateState.headerSize, let api = api(of: payload), let used = unionFields[api] else {
      return nil
    }
    var out = payload
    for i in 12..<16 { out[i] = 0 }
    for i in (16 + used)..<ManipulateState.headerSize { out[i] = 0 }
    if api == .readVirtualMemory || api == .writeVirtualMemory {
      for i in 28..<32 { out[i] = 0 }  // ActualBytes*: an out field
    }
    if api == .writeBreakPoint { for i in 24..<28 { out[i] = 0 } }  // BreakPointHandle: an out field
    if api == .continue2 && out.u32(at: 20) > 1 {  // TraceFlag is a boolean
      for i in 20..<24 { out[i] = i == 20 ? 1 : 0 }
    }
    if api == .writeBreakPointEx || api == .restoreBreakPointEx {
      // DBGKD_WRITE_BREAKPOINT64 entries, 16 bytes each: the last 4 are KD's padding (our Status).
      var at = ManipulateState.headerSize + 12
      while at + 4 <= out.count {
        for i in at..<(at + 4) { out[i] = 0 }
        at += BreakPointEntry.size
      }
    }
    convertAddresses(&out, toTarget: true)
    return out
  }

  /// Offsets of the pointer fields (u64) of each shared operation: kd sends an x86 target's addresses
  /// sign-extended to 64 bits (0xffffffff804d7000), and expects them so.
  static let addressFields: [ApiNumber: [Int]] = [
    .readVirtualMemory: [16], .writeVirtualMemory: [16], .writeBreakPoint: [16], .searchMemory: [16],
    .getVersion: [32, 40, 48],
  ]

  /// `value` as a 32-bit target's pointer: a sign-extended kernel address narrowed to 32 bits; nil for a value
  /// no 32-bit pointer gives.
  public static func narrowed(_ value: UInt64) -> UInt32? {
    if value >> 32 == 0xffff_ffff && value & 0x8000_0000 != 0 { return UInt32(truncatingIfNeeded: value) }
    return UInt32(exactly: value)
  }

  /// A 32-bit pointer as kd expects it from an x86 target: sign-extended.
  public static func widened(_ value: UInt64) -> UInt64 {
    guard value >> 32 == 0 else { return value }
    return UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(value))))
  }

  /// Narrows (`toTarget`) or widens the pointer fields of a shared operation's payload, and of a breakpoint
  /// batch's entries.
  public static func convertAddresses(_ payload: inout [UInt8], toTarget: Bool) {
    guard let api = api(of: payload) else { return }
    var offsets = addressFields[api] ?? []
    if api == .writeBreakPointEx || api == .restoreBreakPointEx {
      offsets += Array(stride(from: ManipulateState.headerSize, to: payload.count - 7, by: BreakPointEntry.size))
    }
    for at in offsets where at + 8 <= payload.count {
      let v = payload.u64(at: at)
      payload.store(toTarget ? narrowed(v).map(UInt64.init) ?? v : widened(v), at: at)
    }
  }

  /// The reply header to `request`: its 56 bytes echoed (zero-filled if shorter) with ReturnStatus = `status`.
  /// With no data after it, it is how the target answers an operation it does not serve.
  public static func echo(of request: [UInt8], status: NTStatus) -> [UInt8] {
    var out = Array(request.prefix(ManipulateState.headerSize))
    out += [UInt8](repeating: 0, count: ManipulateState.headerSize - out.count)
    out.store(status.rawValue, at: 8)
    return out
  }
}

extension [UInt8] {
  func u32(at offset: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
  }

  func u64(at offset: Int) -> UInt64 { UInt64(u32(at: offset)) | UInt64(u32(at: offset + 4)) << 32 }

  /// Stores `value` little-endian at `offset` (its bytes must lie within the array).
  mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    for i in 0..<(T.bitWidth / 8) { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
  }
}
