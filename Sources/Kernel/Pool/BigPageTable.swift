/// nt!PoolBigPageTable in emulated memory: {Va, Key, NumberOfPages} per allocation of a page or more.
/// A slot with Va == 0 or Va & 1 is free (a freed entry keeps Va | 1 and its tag, like Windows).
final class BigPageTable {
  static let entrySize: UInt32 = 12
  static let capacity: UInt32 = 16384
  static var byteSize: UInt32 { entrySize * capacity }

  private let memory: HostMemory
  private let offset: UInt32
  let address: UInt32
  private var slotOf: [UInt32: UInt32] = [:]  // va -> slot
  private var freeSlots: [UInt32]

  init(memory: HostMemory, offset: UInt32, address: UInt32) {
    self.memory = memory
    self.offset = offset
    self.address = address
    freeSlots = Array((0..<Self.capacity).reversed())
  }

  /// Returns false when the table is full.
  func insert(va: UInt32, tag: UInt32, pages: UInt32) -> Bool {
    guard let slot = freeSlots.popLast() else { return false }
    let e = offset + slot * Self.entrySize
    memory.store(e, va)
    memory.store(e + 4, tag)
    memory.store(e + 8, pages)
    slotOf[va] = slot
    return true
  }

  func lookup(va: UInt32) -> (tag: UInt32, pages: UInt32)? {
    guard let slot = slotOf[va] else { return nil }
    let e = offset + slot * Self.entrySize
    return (memory.load(e + 4), memory.load(e + 8))
  }

  func retag(va: UInt32, tag: UInt32) {
    guard let slot = slotOf[va] else { return }
    memory.store(offset + slot * Self.entrySize + 4, tag)
  }

  func remove(va: UInt32) {
    guard let slot = slotOf.removeValue(forKey: va) else { return }
    memory.store(offset + slot * Self.entrySize, va | 1)
    freeSlots.append(slot)
  }
}
