/// The register file of one x86 thread as the protocol carries it: sixteen u32 in this order, 64 bytes.
/// (KD's x86 CONTEXT is 716 bytes of which a debugger uses these; we declare the compact layout instead.)
///
/// `Eax Ebx Ecx Edx Esi Edi Ebp Esp Eip EFlags SegCs SegSs SegDs SegEs SegFs SegGs`
public struct X86Context: Equatable, Sendable {
  public static let size = 64
  public var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
  public var esi: UInt32 = 0, edi: UInt32 = 0, ebp: UInt32 = 0, esp: UInt32 = 0
  public var eip: UInt32 = 0, eflags: UInt32 = 0
  public var cs: UInt32 = 0, ss: UInt32 = 0, ds: UInt32 = 0, es: UInt32 = 0, fs: UInt32 = 0, gs: UInt32 = 0

  public init() {}

  public init(registers: [UInt32]) {
    precondition(registers.count == 16)
    (eax, ebx, ecx, edx, esi, edi, ebp, esp) =
      (registers[0], registers[1], registers[2], registers[3], registers[4], registers[5], registers[6], registers[7])
    (eip, eflags, cs, ss, ds, es, fs, gs) =
      (
        registers[8], registers[9], registers[10], registers[11], registers[12], registers[13], registers[14],
        registers[15]
      )
  }

  public var registers: [UInt32] { [eax, ebx, ecx, edx, esi, edi, ebp, esp, eip, eflags, cs, ss, ds, es, fs, gs] }

  public init(from r: inout ByteReader) throws(PayloadError) {
    var values: [UInt32] = []
    values.reserveCapacity(16)
    for _ in 0..<16 { values.append(try r.u32()) }
    self.init(registers: values)
  }

  public func encode(into w: inout ByteWriter) {
    for value in registers { w.u32(value) }
  }
}
