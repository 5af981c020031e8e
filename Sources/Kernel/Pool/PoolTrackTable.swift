/// nt!PoolTrackTable in emulated memory: 28-byte POOL_TRACKER_TABLE entries updated on every
/// allocation and free, so `!poolused` reads O(tags) memory. Open addressing on the tag; the last
/// slot is the overflow entry 'Ovfl' when the table is full.
final class PoolTrackTable {
  static let entrySize: UInt32 = 28
  static let capacity: UInt32 = 4096
  static var byteSize: UInt32 { entrySize * capacity }

  private let memory: HostMemory
  private let offset: UInt32
  let address: UInt32
  private var slots: [UInt32: UInt32] = [:]  // tag -> entry index
  private var used: UInt32 = 0

  init(memory: HostMemory, offset: UInt32, address: UInt32) {
    self.memory = memory
    self.offset = offset
    self.address = address
  }

  /// Counts one allocation (or free) of `bytes` (header included) under `tag` in pool `paged`.
  @inline(__always)
  func record(tag: UInt32, paged: Bool, bytes: UInt32, isFree: Bool) {
    let e = offset + entry(for: tag) * Self.entrySize
    let base: UInt32 = paged ? 0x10 : 0x04
    if isFree {
      memory.store(e + base + 4, memory.load(e + base + 4) &+ 1)
      memory.store(e + base + 8, memory.load(e + base + 8) &- bytes)
    } else {
      memory.store(e + base, memory.load(e + base) &+ 1)
      memory.store(e + base + 8, memory.load(e + base + 8) &+ bytes)
    }
  }

  /// Whether `tag` has an entry.
  func contains(_ tag: UInt32) -> Bool { slots[tag] != nil }

  /// Adds `from`'s counters (allocations, frees and bytes of both pools) to `into`'s and removes `from`'s
  /// entry, as if its allocations had been made under `into` (`!tagsplit -off`).
  func merge(_ from: UInt32, into: UInt32) {
    guard let source = slots.removeValue(forKey: from) else { return }
    let s = offset + source * Self.entrySize
    let d = offset + entry(for: into) * Self.entrySize
    for field in stride(from: UInt32(4), to: Self.entrySize, by: 4) {
      memory.store(d + field, memory.load(d + field) &+ memory.load(s + field))
      memory.store(s + field, 0)
    }
    memory.store(s, 0)
    if source != Self.capacity - 1 { used -= 1 }
  }

  private func entry(for tag: UInt32) -> UInt32 {
    if let i = slots[tag] { return i }
    let overflow = Self.capacity - 1
    guard used < overflow else {
      if slots[0x6c66_764f] == nil { claim(overflow, tag: 0x6c66_764f) }  // 'Ovfl'
      return overflow
    }
    var i = ((tag &* 0x9E37_79B1) >> 20) % overflow
    while memory.load(offset + i * Self.entrySize) != 0 { i = (i + 1) % overflow }
    claim(i, tag: tag)
    used += 1
    return i
  }

  private func claim(_ i: UInt32, tag: UInt32) {
    memory.store(offset + i * Self.entrySize, tag)
    slots[tag] = i
  }
}
