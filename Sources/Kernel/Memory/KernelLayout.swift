/// Where things live in the emulated 32-bit address space (XP x86 flavour; docs/KERNEL.md).
enum KernelLayout {
  static let pageSize: UInt32 = 0x1000
  /// MmSystemRangeStart: addresses below it are user mode.
  static let systemRangeStart: UInt32 = 0x8000_0000
  static let ntBase: UInt32 = 0x804d_7000
  /// Pool tracking table and big-page table (Windows allocates them at boot; ours sit here).
  static let kernelDataBase: UInt32 = 0x8080_0000
  static let nonPagedPoolStart: UInt32 = 0x8100_0000
  static let nonPagedPoolSize: UInt32 = 0x0400_0000  // 64 MiB
  /// Nonpaged pool expansion (XP's second nonpaged range, MmNonPagedPoolExpansionStart up to MmNonPagedPoolEnd):
  /// used once the initial nonpaged pool is full.
  static let nonPagedPoolExpansionStart: UInt32 = 0xfd00_0000
  static let nonPagedPoolExpansionSize: UInt32 = 0x02be_0000  // up to ffbe0000
  /// Driver Verifier's data (driver entries, pool hashes, the pool log), mapped only on a boot that verifies a
  /// driver; between nonpaged pool's end and paged pool.
  static let verifierBase: UInt32 = 0x8600_0000
  static let pagedPoolStart: UInt32 = 0xe100_0000
  static let pagedPoolSize: UInt32 = 0x0c00_0000  // 192 MiB
  /// Drivers are mapped from here up, one 64 KiB-aligned slot each.
  static let driverBase: UInt32 = 0xf7a0_0000
  /// Thread stacks: 12 KiB each, below a 4 KiB unmapped guard page.
  static let stackArea: UInt32 = 0xf8a0_0000
  static let stackSize: UInt32 = 0x3000
  static let stackSlot: UInt32 = 0x4000
  static let maxThreads: UInt32 = 256
  /// KPCR (fs:[0] on x86 XP); CurrentThread at +0x124.
  static let kpcr: UInt32 = 0xffdf_f000
  /// The double-fault stack (KiDoubleFaultStack's role): the upper half of the KPCR page, where a bug check
  /// whose thread has no stack left builds KeBugCheckEx's frame.
  static let doubleFaultStackTop: UInt32 = kpcr + 0x1000
  static let kpcrCurrentThread: UInt32 = 0x124
}

extension UInt32 {
  func roundedUp(to alignment: UInt32) -> UInt32 { (self + alignment - 1) & ~(alignment - 1) }
}
