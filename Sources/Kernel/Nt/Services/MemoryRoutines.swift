extension Machine {
  static let maxMemoryRoutineBytes: UInt32 = 16 << 20

  /// memset(dst, c, n) (cdecl): returns dst.
  func memset() {
    let dst = arg(0)
    let value = UInt8(truncatingIfNeeded: arg(1))
    let n = arg(2)
    setResult(dst)
    guard n > 0 else { return }
    guard n <= Self.maxMemoryRoutineBytes, emulator.write(dst, [UInt8](repeating: value, count: Int(n))) else {
      serviceBugCheck(code: 0x50, parameters: [dst, 1, liveEIP, 0])
      return
    }
  }

  /// memcpy / memmove(dst, src, n) (cdecl): returns dst; overlapping ranges copy as memmove.
  func memcpy() {
    let dst = arg(0)
    let src = arg(1)
    let n = arg(2)
    setResult(dst)
    guard n > 0 else { return }
    guard n <= Self.maxMemoryRoutineBytes, let bytes = emulator.read(src, count: Int(n)) else {
      serviceBugCheck(code: 0x50, parameters: [src, 0, liveEIP, 0])
      return
    }
    if !emulator.write(dst, bytes) { serviceBugCheck(code: 0x50, parameters: [dst, 1, liveEIP, 0]) }
  }
}
