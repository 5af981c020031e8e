/// The x86 integer register context of one thread or processor.
public struct X86Context: Sendable, Equatable, Codable {
  @HexString public var eax: UInt32 = 0
  @HexString public var ebx: UInt32 = 0
  @HexString public var ecx: UInt32 = 0
  @HexString public var edx: UInt32 = 0
  @HexString public var esi: UInt32 = 0
  @HexString public var edi: UInt32 = 0
  @HexString public var ebp: UInt32 = 0
  @HexString public var esp: UInt32 = 0
  @HexString public var eip: UInt32 = 0
  @HexString public var eflags: UInt32 = 0
  public var cs: UInt16 = 0, ss: UInt16 = 0, ds: UInt16 = 0, es: UInt16 = 0, fs: UInt16 = 0, gs: UInt16 = 0

  public init() {}

  /// Register names `r` and expressions accept, in `r`'s display order.
  public static let registerNames = [
    "eax", "ebx", "ecx", "edx", "esi", "edi", "eip", "esp", "ebp", "efl", "cs", "ss", "ds", "es", "fs", "gs",
  ]

  /// A register by name (`efl`/`eflags`, 16-bit `ax`.. and 8-bit `al`.. too); nil for an unknown name.
  public subscript(register name: String) -> UInt32? {
    get {
      switch name.lowercased() {
      case "eax": eax
      case "ebx": ebx
      case "ecx": ecx
      case "edx": edx
      case "esi": esi
      case "edi": edi
      case "ebp": ebp
      case "esp": esp
      case "eip", "$ip": eip
      case "efl", "eflags": eflags
      case "cs": UInt32(cs)
      case "ss": UInt32(ss)
      case "ds": UInt32(ds)
      case "es": UInt32(es)
      case "fs": UInt32(fs)
      case "gs": UInt32(gs)
      case "ax": eax & 0xffff
      case "bx": ebx & 0xffff
      case "cx": ecx & 0xffff
      case "dx": edx & 0xffff
      case "si": esi & 0xffff
      case "di": edi & 0xffff
      case "bp": ebp & 0xffff
      case "sp": esp & 0xffff
      case "al": eax & 0xff
      case "bl": ebx & 0xff
      case "cl": ecx & 0xff
      case "dl": edx & 0xff
      case "ah": (eax >> 8) & 0xff
      case "bh": (ebx >> 8) & 0xff
      case "ch": (ecx >> 8) & 0xff
      case "dh": (edx >> 8) & 0xff
      default: nil
      }
    }
  }

  /// Sets a 32-bit or segment register; false for a name `r` cannot assign.
  public mutating func set(register name: String, to value: UInt32) -> Bool {
    switch name.lowercased() {
    case "eax": eax = value
    case "ebx": ebx = value
    case "ecx": ecx = value
    case "edx": edx = value
    case "esi": esi = value
    case "edi": edi = value
    case "ebp": ebp = value
    case "esp": esp = value
    case "eip": eip = value
    case "efl", "eflags": eflags = value
    case "cs": cs = UInt16(truncatingIfNeeded: value)
    case "ss": ss = UInt16(truncatingIfNeeded: value)
    case "ds": ds = UInt16(truncatingIfNeeded: value)
    case "es": es = UInt16(truncatingIfNeeded: value)
    case "fs": fs = UInt16(truncatingIfNeeded: value)
    case "gs": gs = UInt16(truncatingIfNeeded: value)
    default: return false
    }
    return true
  }
}
