extension Machine {
  /// RtlRandomEx(PULONG Seed): the next value of the kernel's seeded generator (so a scenario seed
  /// decides every driver's choices), stored through Seed and returned; 0..0x7ffffffe like Windows.
  func random() {
    let seedPointer = arg(0)
    let v = UInt32(truncatingIfNeeded: rng.next() % 0x7fff_ffff)
    if seedPointer != 0 { emulator.writeU32(seedPointer, v) }
    setResult(v)
  }
}
