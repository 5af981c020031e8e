/// The integer register file of one emulated thread. Segment selectors are the XP kernel's
/// (cs 0008, ss/ds/es 0010/0023, fs 0030): the emulator runs flat segments with those names.
public struct X86Context: Sendable, Equatable {
  public var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
  public var esi: UInt32 = 0, edi: UInt32 = 0, ebp: UInt32 = 0, esp: UInt32 = 0
  public var eip: UInt32 = 0, eflags: UInt32 = 0x202
  public var cs: UInt32 = 0x08, ss: UInt32 = 0x10, ds: UInt32 = 0x23, es: UInt32 = 0x23
  public var fs: UInt32 = 0x30, gs: UInt32 = 0

  public init() {}

  /// eax ebx ecx edx esi edi ebp esp eip eflags, the order the engine moves them in.
  init(gprs r: [UInt32]) {
    eax = r[0]
    ebx = r[1]
    ecx = r[2]
    edx = r[3]
    esi = r[4]
    edi = r[5]
    ebp = r[6]
    esp = r[7]
    eip = r[8]
    eflags = r[9]
  }

  var gprs: [UInt32] { [eax, ebx, ecx, edx, esi, edi, ebp, esp, eip, eflags] }
}
