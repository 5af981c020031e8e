/// Little-endian writer for payloads (KD is little-endian, as are its x86 hosts).
public struct ByteWriter: Sendable {
  public private(set) var bytes: [UInt8]

  public init(capacity: Int = 64) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  public var count: Int { bytes.count }

  public mutating func u8(_ value: UInt8) { bytes.append(value) }

  public mutating func u16(_ value: UInt16) {
    bytes.append(UInt8(truncatingIfNeeded: value))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
  }

  public mutating func u32(_ value: UInt32) {
    for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
  }

  public mutating func u64(_ value: UInt64) {
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
  }

  public mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

  public mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

  /// Pads with zeros up to `length` bytes in total; traps if already longer (a bug in our encoder).
  public mutating func pad(to length: Int) {
    precondition(bytes.count <= length, "encoder wrote \(bytes.count) bytes into a \(length)-byte field")
    zeros(length - bytes.count)
  }
}
