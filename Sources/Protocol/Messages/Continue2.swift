/// DbgKdContinueApi2 (0x313C): resume, or single-step with TraceFlag (KD's DBGKD_CONTINUE2 on x86).
///
/// u: `ContinueStatus u32 @16, TraceFlag u32 @20, Dr7 u32 @24, CurrentSymbolStart u32 @28,
/// CurrentSymbolEnd u32 @32`. With TraceFlag 1 the current thread executes one instruction and the target
/// breaks again with code 0x80000004 (single step). Replied at once, like ``Continue``.
public struct Continue2: ManipulateBody {
  public static let api = ApiNumber.continue2
  public var continueStatus: UInt32
  public var traceFlag: UInt32
  public var dr7: UInt32
  public var currentSymbolStart: UInt32
  public var currentSymbolEnd: UInt32

  public init(
    continueStatus: UInt32 = ContinueStatus.continue, singleStep: Bool, dr7: UInt32 = 0,
    currentSymbolStart: UInt32 = 0, currentSymbolEnd: UInt32 = 0
  ) {
    self.continueStatus = continueStatus
    self.traceFlag = singleStep ? 1 : 0
    self.dr7 = dr7
    self.currentSymbolStart = currentSymbolStart
    self.currentSymbolEnd = currentSymbolEnd
  }

  public var singleStep: Bool { traceFlag != 0 }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    continueStatus = try u.u32()
    let traceAt = u.absoluteOffset
    traceFlag = try u.u32()
    if traceFlag > 1 { throw .invalidValue(field: "TraceFlag", found: UInt64(traceFlag), offset: traceAt) }
    dr7 = try u.u32()
    currentSymbolStart = try u.u32()
    currentSymbolEnd = try u.u32()
    try u.reserved(u.remaining)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(continueStatus)
    u.u32(traceFlag)
    u.u32(dr7)
    u.u32(currentSymbolStart)
    u.u32(currentSymbolEnd)
  }
}
