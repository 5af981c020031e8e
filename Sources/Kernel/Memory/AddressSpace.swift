/// The emulated address space: which ranges are mapped and what they are, the debugger's view of memory
/// (reads stop at the first unmapped byte), and the one path every code write takes.
final class AddressSpace {
  struct Region {
    var base: UInt32
    var size: UInt32
    var writable: Bool
    var executable: Bool
    var kind: MemoryRegion.Kind
    var end: UInt64 { UInt64(base) + UInt64(size) }
  }

  let emulator: Emulator
  private(set) var regions: [Region] = []  // sorted by base

  init(emulator: Emulator) { self.emulator = emulator }

  func map(_ region: Region, host: HostMemory? = nil, hostOffset: Int = 0) throws(KernelError) {
    if let host {
      try emulator.mapHost(region.base, size: region.size, pointer: host.pointer + hostOffset)
    } else {
      try emulator.map(region.base, size: region.size, writable: region.writable, executable: region.executable)
    }
    add(region)
  }

  /// Records a region whose pages are mapped piecemeal by their owner (pools grow in chunks).
  func add(_ region: Region) {
    let i = regions.firstIndex { $0.base > region.base } ?? regions.count
    regions.insert(region, at: i)
  }

  func extend(base: UInt32, to size: UInt32) {
    if let i = regions.firstIndex(where: { $0.base == base }) { regions[i].size = size }
  }

  func region(containing address: UInt32) -> Region? {
    var lo = 0
    var hi = regions.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if regions[mid].base <= address { lo = mid + 1 } else { hi = mid }
    }
    guard lo > 0 else { return nil }
    let r = regions[lo - 1]
    return UInt64(address) < r.end ? r : nil
  }

  /// Bytes up to the first unmapped one (page by page), plus the fault address when short.
  func readAvailable(_ address: UInt32, count: Int) -> MemoryRead {
    if let all = emulator.read(address, count: count) { return MemoryRead(bytes: all, faultAddress: nil) }
    var out: [UInt8] = []
    out.reserveCapacity(count)
    var cursor = UInt64(address)
    let end = UInt64(address) + UInt64(count)
    while cursor < end {
      let pageEnd = min((cursor | 0xfff) + 1, end)
      guard cursor <= UInt64(UInt32.max), let chunk = emulator.read(UInt32(cursor), count: Int(pageEnd - cursor)) else {
        return MemoryRead(bytes: out, faultAddress: UInt32(truncatingIfNeeded: cursor))
      }
      out += chunk
      cursor = pageEnd
    }
    return MemoryRead(bytes: out, faultAddress: nil)
  }

  /// The single code-write path: writes what is mapped, then drops translated blocks over the range
  /// so the next instruction fetched there is the new byte. Returns the count written and the fault.
  @discardableResult
  func writeCode(_ address: UInt32, _ bytes: [UInt8]) -> MemoryWrite {
    guard !bytes.isEmpty else { return MemoryWrite(written: 0, faultAddress: nil) }
    var written = 0
    var fault: UInt32?
    if emulator.write(address, bytes) {
      written = bytes.count
    } else {
      // Page by page up to the first unmapped page.
      var cursor = UInt64(address)
      let end = UInt64(address) + UInt64(bytes.count)
      while cursor < end {
        let pageEnd = min((cursor | 0xfff) + 1, end)
        let slice = Array(bytes[Int(cursor - UInt64(address))..<Int(pageEnd - UInt64(address))])
        guard cursor <= UInt64(UInt32.max), emulator.write(UInt32(cursor), slice) else {
          fault = UInt32(truncatingIfNeeded: cursor)
          break
        }
        written += slice.count
        cursor = pageEnd
      }
    }
    if written > 0 {
      let end = UInt64(address) + UInt64(written)
      emulator.invalidate(address, UInt32(truncatingIfNeeded: min(end, UInt64(UInt32.max))))
    }
    return MemoryWrite(written: written, faultAddress: fault)
  }
}
