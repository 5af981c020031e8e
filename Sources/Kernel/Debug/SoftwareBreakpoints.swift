/// Breakpoints written as 0xCC into code through the code-write path; the original bytes are kept
/// here and put back into what memory reads return, as KD does.
struct SoftwareBreakpoints {
  static let limit = 32
  private(set) var byAddress: [UInt32: (handle: UInt32, original: UInt8)] = [:]
  private var nextHandle: UInt32 = 1

  func handle(at address: UInt32) -> UInt32? { byAddress[address]?.handle }

  mutating func insert(at address: UInt32, space: AddressSpace) throws(KernelError) -> UInt32 {
    if let existing = byAddress[address] { throw .breakpointExists(address: address, handle: existing.handle) }
    guard byAddress.count < Self.limit else { throw .tooManyBreakpoints(limit: Self.limit) }
    guard let original = space.emulator.read(address, count: 1)?.first,
      space.writeCode(address, [0xcc]).written == 1
    else { throw .breakpointUnwritable(address: address) }
    // Handles wrap after 2^32 insertions (a peer can ask that often); 0 and live handles are skipped.
    var h = nextHandle
    while h == 0 || byAddress.values.contains(where: { $0.handle == h }) { h &+= 1 }
    nextHandle = h &+ 1
    byAddress[address] = (h, original)
    return h
  }

  mutating func remove(handle: UInt32, space: AddressSpace) throws(KernelError) {
    guard let (address, bp) = byAddress.first(where: { $0.value.handle == handle }) else {
      throw .unknownBreakpoint(handle)
    }
    space.writeCode(address, [bp.original])
    byAddress[address] = nil
  }

  /// Temporarily puts the original byte back (stepping over the breakpoint) or the 0xCC again.
  func lift(_ address: UInt32, space: AddressSpace) {
    if let bp = byAddress[address] { space.writeCode(address, [bp.original]) }
  }
  func reinsert(_ address: UInt32, space: AddressSpace) {
    if byAddress[address] != nil { space.writeCode(address, [0xcc]) }
  }

  /// Replaces our 0xCC bytes in a read of memory at `address` by the originals.
  func hide(in bytes: inout [UInt8], at address: UInt32) {
    guard !byAddress.isEmpty else { return }
    for (a, bp) in byAddress where a >= address && UInt64(a) < UInt64(address) + UInt64(bytes.count) {
      bytes[Int(a - address)] = bp.original
    }
  }

  /// A write over a breakpoint updates the kept original and leaves the 0xCC in memory.
  mutating func absorb(_ bytes: inout [UInt8], at address: UInt32) {
    guard !byAddress.isEmpty else { return }
    for (a, bp) in byAddress where a >= address && UInt64(a) < UInt64(address) + UInt64(bytes.count) {
      byAddress[a] = (bp.handle, bytes[Int(a - address)])
      bytes[Int(a - address)] = 0xcc
    }
  }
}
