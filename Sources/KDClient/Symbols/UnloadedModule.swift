/// A driver the target unloaded, as nt's unloaded-driver ring records it (`MmUnloadedDrivers`: 50
/// `_UNLOADED_DRIVERS` of 24 bytes, `MmLastUnloadedDriver` the next slot). `lm` lists them under
/// "Unloaded modules:" and `.reload` prints a dot for each.
struct UnloadedModule: Codable, Sendable {
  @HexString var start: UInt32
  @HexString var end: UInt32
  var name: String

  static let ringCapacity = 50
  static let entrySize = 24

  /// The ring read from target memory, oldest first; empty slots (no name) are skipped.
  static func read(_ s: Session) throws(CommandError) -> [UnloadedModule] {
    let ring = try PoolData.global(s, "MmUnloadedDrivers")
    guard ring != 0 else { return [] }
    let next = Int(try PoolData.global(s, "MmLastUnloadedDriver") % UInt32(ringCapacity))
    guard let bytes = try s.readExact(ring, count: ringCapacity * entrySize) else {
      throw .message("Unable to read unloaded module list at \(Hex.d8(ring))")
    }
    var out: [UnloadedModule] = []
    for i in 0..<ringCapacity {
      let at = (next + i) % ringCapacity * entrySize
      let length = Int(bytes.u16(at: at)) & ~1
      let buffer = bytes.u32(at: at + 4)
      guard length > 0, buffer != 0 else { continue }
      // A UNICODE_STRING of at most 64 KiB; names are short, so read no more than 512 bytes of one.
      guard let raw = try s.readExact(buffer, count: min(length, 512)) else {
        throw .message("Unable to read the name of unloaded module \(i) at \(Hex.d8(buffer))")
      }
      let units = stride(from: 0, to: raw.count, by: 2).map { raw.u16(at: $0) }
      out.append(
        UnloadedModule(
          start: bytes.u32(at: at + 8), end: bytes.u32(at: at + 12), name: String(decoding: units, as: UTF16.self)))
    }
    return out
  }
}
