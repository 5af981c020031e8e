extension Machine {
  /// 2008-04-14 (XP SP3's build date) as FILETIME: boot time of the simulated machine.
  static let bootSystemTime: UInt64 = 0x01C8_9DE3_0000_0000

  /// KeQuerySystemTime(PLARGE_INTEGER): boot time plus virtual time.
  func querySystemTime() {
    let t = Self.bootSystemTime &+ clock.now
    emulator.writeU32(arg(0), UInt32(truncatingIfNeeded: t))
    emulator.writeU32(arg(0) &+ 4, UInt32(truncatingIfNeeded: t >> 32))
  }
}
