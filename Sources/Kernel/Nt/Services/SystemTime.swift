extension Machine {
  /// 2008-04-14 (XP SP3's build date) as FILETIME: boot time of the simulated machine.
  static let bootSystemTime: UInt64 = 0x01C8_9DE3_0000_0000

  /// KeQuerySystemTime(PLARGE_INTEGER): boot time plus virtual time. An unwritable pointer bug-checks
  /// PAGE_FAULT_IN_NONPAGED_AREA (0x50), as the store would.
  func querySystemTime() {
    let t = Self.bootSystemTime &+ clock.now
    _ = guestWrite(arg(0), [UInt32(truncatingIfNeeded: t), UInt32(truncatingIfNeeded: t >> 32)])
  }

  /// Stores ULONGs at `address` from driver code's point of view: when a byte is unmapped nothing is
  /// written and the service bug-checks 0x50 (address, write, eip) at the first unmapped ULONG. Returns
  /// whether it was written.
  func guestWrite(_ address: UInt32, _ values: [UInt32]) -> Bool {
    for i in values.indices {
      let at = address &+ UInt32(4 * i)
      guard emulator.readU32(at) != nil else {
        serviceBugCheck(code: 0x50, parameters: [at, 1, liveEIP, 0])
        return false
      }
    }
    for (i, v) in values.enumerated() { emulator.writeU32(address &+ UInt32(4 * i), v) }
    return true
  }
}
