/// Memory as a `d*` command read it, for Swift callers (`CommandResult.memory`).
public struct MemoryBlock: Sendable, Equatable {
  /// The command's format (`db`, `dd`, `dq`, `da`, ...).
  public var format: String
  /// The first unit's address.
  public var address: UInt32
  /// Bytes per unit: 1, 2, 4 or 8.
  public var unitSize: Int
  /// One value per unit, in order; nil where the target could not be read.
  public var values: [UInt64?]

  /// The units that were read, as little-endian bytes (an unreadable unit ends them).
  public var bytes: [UInt8] {
    var out: [UInt8] = []
    for case let value? in values.prefix(while: { $0 != nil }) {
      for i in 0..<unitSize { out.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
    }
    return out
  }
}
