extension Machine {
  /// RtlRandomEx(PULONG Seed): the next value of the kernel's seeded generator (so a scenario seed
  /// decides every driver's choices), stored through Seed and returned; 0..0x7ffffffe like Windows. Windows
  /// reads and writes *Seed: an unreadable Seed (NULL too) bug-checks 0x50.
  func random() {
    let seedPointer = arg(0)
    guard emulator.readU32(seedPointer) != nil else {
      serviceBugCheck(code: 0x50, parameters: [seedPointer, 0, liveEIP, 0])
      return
    }
    let v = UInt32(truncatingIfNeeded: rng.next() % 0x7fff_ffff)
    guard guestWrite(seedPointer, [v]) else { return }
    setResult(v)
  }
}
