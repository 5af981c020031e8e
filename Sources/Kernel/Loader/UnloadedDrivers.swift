/// nt's unloaded-driver ring as XP keeps it: `MmUnloadedDrivers` points at 50 `_UNLOADED_DRIVERS` entries
/// (`Name` as a `_UNICODE_STRING`, `StartAddress`, `EndAddress`, `CurrentTime`: 24 bytes each) and
/// `MmLastUnloadedDriver` is the index of the next slot; when the ring is full the oldest entry is overwritten.
/// Debuggers read it for `lm`'s "Unloaded modules:" and `.reload`'s "Loading unloaded module list".
enum UnloadedDrivers {
  static let capacity: UInt32 = 50
  static let entrySize: UInt32 = 24
  /// Bytes kept per name (UTF-16, so 16 characters); a longer name is cut, with `Length` saying what was kept.
  static let nameBytes: UInt32 = 32

  /// Records `name` (`Abc.sys`) as unloaded from [start, end). `time` is the kernel's clock in 100 ns units;
  /// ours has no wall clock, so `CurrentTime` holds the time since boot.
  static func record(in nt: NtModule, name: String, start: UInt32, end: UInt32, time: UInt64) {
    let index = nt.load(NtGlobals.mmLastUnloadedDriver) % capacity
    let entry = NtGlobals.unloadedDriverRing + index * entrySize
    let buffer = NtGlobals.unloadedDriverNames + index * nameBytes
    let units = Array(name.utf16.prefix(Int(nameBytes / 2)))
    var bytes: [UInt8] = []
    for u in units { bytes += [UInt8(truncatingIfNeeded: u), UInt8(truncatingIfNeeded: u >> 8)] }
    bytes += [UInt8](repeating: 0, count: Int(nameBytes) - bytes.count)
    nt.storeBytes(buffer, bytes)
    let length = UInt32(units.count * 2)
    nt.store(entry, length | length << 16)  // Length, MaximumLength
    nt.store(entry + 4, buffer)
    nt.store(entry + 8, start)
    nt.store(entry + 12, end)
    nt.store(entry + 16, UInt32(truncatingIfNeeded: time))
    nt.store(entry + 20, UInt32(truncatingIfNeeded: time >> 32))
    nt.store(NtGlobals.mmLastUnloadedDriver, (index + 1) % capacity)
  }
}
