/// nt!PsLoadedModuleList: a LIST_ENTRY head in nt's data and one LDR_DATA_TABLE_ENTRY per module in
/// nonpaged pool (tag 'MmLd'), names in UTF-16LE right behind the entry, walkable with memory reads.
enum LoadedModuleList {
  static let entrySize: UInt32 = 0x50
  static let tag: UInt32 = 0x644c_6d4d  // 'MmLd'

  static func initialize(nt: NtModule) {
    nt.store(NtGlobals.psLoadedModuleList, NtGlobals.psLoadedModuleList)
    nt.store(NtGlobals.psLoadedModuleList + 4, NtGlobals.psLoadedModuleList)
  }

  /// Appends `module` at the tail; returns the entry's address.
  static func append(
    _ module: LoadedModule, fullName: String, pools: PoolManager, nt: NtModule,
    emulator: Emulator
  ) throws(KernelError) -> UInt32 {
    let full = Array(fullName.utf16)
    let base = Array(module.imageName.utf16)
    let size = entrySize + UInt32(full.count + base.count + 2) * 2
    let e = try pools.allocate(poolType: 0, bytes: size, tag: tag)
    guard e != 0 else { throw .outOfMemory(what: "nonpaged pool for the loader entry of \(module.name)") }
    var b = [UInt8](repeating: 0, count: Int(size))
    func put16(_ o: UInt32, _ v: UInt16) {
      b[Int(o)] = UInt8(v & 0xff)
      b[Int(o) + 1] = UInt8(v >> 8)
    }
    func put32(_ o: UInt32, _ v: UInt32) { for i in 0..<4 { b[Int(o) + i] = UInt8(v >> (8 * UInt32(i)) & 0xff) } }
    let head = NtGlobals.psLoadedModuleList
    let tail = nt.load(head + 4)
    put32(0x00, head)
    put32(0x04, tail)  // InLoadOrderLinks
    put32(0x08, e + 0x08)
    put32(0x0c, e + 0x08)  // InMemoryOrderLinks (not chained)
    put32(0x10, e + 0x10)
    put32(0x14, e + 0x10)  // InInitializationOrderLinks (not chained)
    put32(0x18, module.base)
    put32(0x1c, module.entryPoint)
    put32(0x20, module.size)
    let fullAt = entrySize
    let baseAt = entrySize + UInt32(full.count + 1) * 2
    put16(0x24, UInt16(full.count * 2))
    put16(0x26, UInt16(full.count * 2 + 2))
    put32(0x28, e + fullAt)
    put16(0x2c, UInt16(base.count * 2))
    put16(0x2e, UInt16(base.count * 2 + 2))
    put32(0x30, e + baseAt)
    put32(0x34, 0x0900_4000)
    put16(0x38, 1)  // Flags, LoadCount
    put32(0x40, module.checksum)
    put32(0x44, module.timestamp)
    for (i, u) in full.enumerated() { put16(fullAt + UInt32(2 * i), u) }
    for (i, u) in base.enumerated() { put16(baseAt + UInt32(2 * i), u) }
    emulator.write(e, b)
    // Link: old tail's Flink and the head's Blink point at the new entry.
    if tail == head { nt.store(head, e) } else { emulator.writeU32(tail, e) }
    nt.store(head + 4, e)
    return e
  }
}

extension LoadedModuleList {
  /// Unlinks an unloaded driver's entry and frees it.
  static func remove(entry e: UInt32, pools: PoolManager, emulator: Emulator) {
    guard e != 0, let flink = emulator.readU32(e), let blink = emulator.readU32(e + 4) else { return }
    emulator.writeU32(blink, flink)
    emulator.writeU32(flink + 4, blink)
    _ = pools.free(e, passedTag: tag)
  }
}
