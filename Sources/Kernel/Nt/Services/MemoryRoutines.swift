extension Machine {
  /// Longest memset/memcpy/memmove served; a longer one bug-checks 0x50 at its destination (Windows would run
  /// until the first unmapped byte; no mapped range of this kernel is that long but the pools).
  static let maxMemoryRoutineBytes: UInt32 = 16 << 20

  /// memset(dst, c, n) (cdecl): returns dst. An unmapped byte in the range bug-checks 0x50 with its address
  /// (nothing is written).
  func memset() {
    let dst = arg(0)
    let value = UInt8(truncatingIfNeeded: arg(1))
    let n = arg(2)
    setResult(dst)
    guard n > 0 else { return }
    guard n <= Self.maxMemoryRoutineBytes, emulator.write(dst, [UInt8](repeating: value, count: Int(n))) else {
      serviceBugCheck(code: 0x50, parameters: [firstUnmapped(dst, n), 1, liveEIP, 0])
      return
    }
  }

  /// memcpy / memmove(dst, src, n) (cdecl): returns dst; overlapping ranges copy as memmove. An unmapped
  /// byte bug-checks 0x50 with its address: the source's first (a read), else the destination's (a write).
  func memcpy() {
    let dst = arg(0)
    let src = arg(1)
    let n = arg(2)
    setResult(dst)
    guard n > 0 else { return }
    guard n <= Self.maxMemoryRoutineBytes, let bytes = emulator.read(src, count: Int(n)) else {
      serviceBugCheck(code: 0x50, parameters: [firstUnmapped(src, n), 0, liveEIP, 0])
      return
    }
    if !emulator.write(dst, bytes) { serviceBugCheck(code: 0x50, parameters: [firstUnmapped(dst, n), 1, liveEIP, 0]) }
  }

  /// The first unmapped address of [address, address+n) (wrapping past 4 GiB as x86 does), or `address`
  /// when the range is too long to serve.
  private func firstUnmapped(_ address: UInt32, _ n: UInt32) -> UInt32 {
    guard n <= Self.maxMemoryRoutineBytes else { return address }
    let read = space.readAvailable(address, count: Int(n))
    return read.faultAddress ?? address &+ UInt32(read.bytes.count)
  }
}
