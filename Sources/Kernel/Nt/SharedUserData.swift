/// KUSER_SHARED_DATA, the page x86 kernels map at 0xffdf0000 (XP/2003 layout): the product type, suite mask and
/// version the kernel was built as, and InterruptTime, the time since boot in 100 ns units, which the kernel
/// refreshes from its virtual clock as it runs and whenever it halts. Debuggers read their banner's `Product:`
/// line and `System Uptime:` here.
struct SharedUserData {
  static let address: UInt32 = 0xffdf_0000
  /// KSYSTEM_TIME { LowPart, High1Time, High2Time }.
  static let interruptTime: UInt32 = 0x08
  static let ntProductType: UInt32 = 0x264
  static let productTypeIsValid: UInt32 = 0x268
  static let ntMajorVersion: UInt32 = 0x26c
  static let ntMinorVersion: UInt32 = 0x270
  static let suiteMask: UInt32 = 0x2d0

  let memory: HostMemory

  init(era: KernelEra) throws(KernelError) {
    memory = try HostMemory(size: Int(KernelLayout.pageSize), what: "KUSER_SHARED_DATA")
    memory.store(Self.ntProductType, era.productType)
    memory.store(Self.productTypeIsValid, 1)
    memory.store(Self.ntMajorVersion, era.majorVersion)
    memory.store(Self.ntMinorVersion, era.minorVersion)
    memory.store(Self.suiteMask, era.suiteMask)
  }

  /// Stores `time` (100 ns units since boot) as the kernel updates a KSYSTEM_TIME: High2Time, LowPart, High1Time.
  func publish(interruptTime time: UInt64) {
    let high = UInt32(truncatingIfNeeded: time >> 32)
    memory.store(Self.interruptTime + 8, high)
    memory.store(Self.interruptTime, UInt32(truncatingIfNeeded: time))
    memory.store(Self.interruptTime + 4, high)
  }
}
