import KDProtocol

/// The x86 CONTEXT (716 bytes) that DbgKdGetContextApi's reply and DbgKdSetContextApi's request carry on a serial
/// line, and the KPROCESSOR_STATE that x86 control space holds (CONTEXT, then KSPECIAL_REGISTERS), converted to
/// and from the register file the kernel keeps (``X86Context``). Offsets are winnt.h's for i386.
public enum KDCOMContext {
  public static let size = 0x2cc
  /// CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS | DEBUG_REGISTERS: what a reply fills (the debug registers are
  /// zero: data breakpoints are the kernel's own, not DR0-DR7 in a context; there is no floating-point state).
  public static let filledFlags: UInt32 = 0x0001_0017
  static let control: UInt32 = 0x1
  static let integer: UInt32 = 0x2
  static let segments: UInt32 = 0x4

  // Offsets in CONTEXT.
  static let segGs = 0x8c, segFs = 0x90, segEs = 0x94, segDs = 0x98
  static let edi = 0x9c, esi = 0xa0, ebx = 0xa4, edx = 0xa8, ecx = 0xac, eax = 0xb0
  static let ebp = 0xb4, eip = 0xb8, segCs = 0xbc, eflags = 0xc0, esp = 0xc4, segSs = 0xc8

  /// KSPECIAL_REGISTERS (0x54 bytes) of the simulated processor: CR0 with PE, PG and WP set, CR4 0 (no PAE);
  /// the kernel keeps no page tables, descriptor tables or debug registers a debugger could use, so CR3, the
  /// debug registers, GDTR, IDTR, TR and LDTR read 0.
  public static func specialRegisters() -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 0x54)
    out.store(UInt32(0x8001_0001), at: 0)  // CR0: PG | WP | PE
    return out
  }

  /// The CONTEXT of `c`.
  public static func encode(_ c: X86Context) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: size)
    func put(_ at: Int, _ v: UInt32) { out.store(v, at: at) }
    put(0, filledFlags)
    put(segGs, c.gs)
    put(segFs, c.fs)
    put(segEs, c.es)
    put(segDs, c.ds)
    put(edi, c.edi)
    put(esi, c.esi)
    put(ebx, c.ebx)
    put(edx, c.edx)
    put(ecx, c.ecx)
    put(eax, c.eax)
    put(ebp, c.ebp)
    put(eip, c.eip)
    put(segCs, c.cs)
    put(eflags, c.eflags)
    put(esp, c.esp)
    put(segSs, c.ss)
    return out
  }

  /// `current` with the groups that `bytes`' ContextFlags name (CONTROL, INTEGER, SEGMENTS) replaced; nil when
  /// `bytes` is shorter than a CONTEXT up to SegSs.
  public static func apply(_ bytes: [UInt8], to current: X86Context) -> X86Context? {
    guard bytes.count >= segSs + 4 else { return nil }
    let flags = bytes.u32(at: 0)
    var c = current
    if flags & control != 0 {
      (c.ebp, c.eip, c.cs, c.eflags, c.esp, c.ss) = (
        bytes.u32(at: ebp), bytes.u32(at: eip), bytes.u32(at: segCs), bytes.u32(at: eflags), bytes.u32(at: esp),
        bytes.u32(at: segSs)
      )
    }
    if flags & integer != 0 {
      (c.edi, c.esi, c.ebx, c.edx, c.ecx, c.eax) = (
        bytes.u32(at: edi), bytes.u32(at: esi), bytes.u32(at: ebx), bytes.u32(at: edx), bytes.u32(at: ecx),
        bytes.u32(at: eax)
      )
    }
    if flags & segments != 0 {
      (c.gs, c.fs, c.es, c.ds) = (
        bytes.u32(at: segGs), bytes.u32(at: segFs), bytes.u32(at: segEs), bytes.u32(at: segDs)
      )
    }
    return c
  }
}
