import KDProtocol

/// DBGKD_ANY_WAIT_STATE_CHANGE as an x86 target sends it on a serial line, made from the KD_STATE_CHANGE64 payload
/// of our own protocol, which keeps KD's layout for its first 232 bytes (docs/PROTOCOL.md, section 9): the header,
/// the 160-byte union (DBGKM_EXCEPTION64 or DBGKD_LOAD_SYMBOLS64) and the x86 control report. What our protocol
/// puts in KD's padding (the break reason at +12, the breakpoint handle at +188) is cleared, and what follows the
/// control report (registers and stack) is left off: kd reads registers with GetContext. The control report is a
/// union whose largest member (AMD64's, 48 bytes) sets its size even on x86, so the structure is 240 bytes, as a
/// capture of an XP-era x86 kernel's KD_STATE_CHANGE64 shows (ByteCount 0x10f for a load-symbols change: 240
/// and a 31-byte path).
public enum KDCOMStateChange {
  /// Header (32) + union (160) + DBGKD_ANY_CONTROL_REPORT (48; the x86 report is its first 40 bytes).
  public static let size = 240
  /// KeProcessorLevel: the CPU family (6, a P6-class processor).
  public static let processorLevel: UInt16 = 6
  /// ReportFlags: the segment registers are included; CS is the standard kernel code selector.
  static let reportIncludesSegs: UInt16 = 0x1
  static let reportStandardCS: UInt16 = 0x2
  static let kernelCodeSelector: UInt16 = 0x8

  public static func from(ourPayload payload: [UInt8]) -> [UInt8] {
    var out = Array(payload.prefix(232))
    out += [UInt8](repeating: 0, count: size - out.count)
    out.store(processorLevel, at: 4)
    out.store(UInt32(0), at: 12)
    out.store(UInt32(0), at: 188)
    // Pointers of an x86 target go sign-extended: Thread, ProgramCounter, ExceptionAddress, and the exception's
    // ULONG_PTR parameters (NumberParameters of them).
    let exception = out.u32(at: 0) == NewState.exception.rawValue
    let parameters = exception ? min(15, Int(out[56]) | Int(out[57]) << 8) : 0
    for at in [16, 24] + (exception ? [48] : []) + (0..<parameters).map({ 64 + 8 * $0 }) {
      out.store(KDCOMManipulate.widened(out.u64(at: at)), at: at)
    }
    let segCs = UInt16(out[220]) | UInt16(out[221]) << 8
    out.store(reportIncludesSegs | (segCs == kernelCodeSelector ? reportStandardCS : 0), at: 202)
    return out
  }
}
