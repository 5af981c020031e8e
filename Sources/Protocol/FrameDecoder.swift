/// Sans-IO frame decoder: feed it bytes as they arrive, take whole frames out.
///
/// It validates each header field as soon as its bytes are there (a plaintext or garbage peer is refused after
/// four bytes, an oversized frame after eight) and never allocates for a payload larger than `maxPayload`.
/// "Need more bytes" is `nil` from ``next()``, not an error.
public struct FrameDecoder: Sendable {
  private var buffer: [UInt8] = []
  private var start = 0
  /// Largest byte count accepted; at most ``Limits/hardMaxPayload``.
  public var maxPayload: Int {
    didSet { precondition(maxPayload <= Limits.hardMaxPayload) }
  }

  public init(maxPayload: Int = Limits.hardMaxPayload) {
    precondition(maxPayload <= Limits.hardMaxPayload)
    self.maxPayload = maxPayload
  }

  /// Bytes received but not yet returned as frames.
  public var bufferedByteCount: Int { buffer.count - start }
  /// True while part of a frame has arrived: the per-frame deadline runs.
  public var isInsideFrame: Bool { bufferedByteCount > 0 }

  public mutating func feed(_ bytes: some Sequence<UInt8>) {
    if start > 0 && start == buffer.count {
      buffer.removeAll(keepingCapacity: true)
      start = 0
    }
    buffer.append(contentsOf: bytes)
  }

  /// The next whole frame, `nil` if more bytes are needed, or the first thing wrong with the stream.
  public mutating func next() throws(FrameError) -> Frame? {
    let available = bufferedByteCount
    if available < 4 { return nil }
    let rawLeader = u32(at: 0)
    guard let leader = Frame.Leader(rawValue: rawLeader) else {
      throw .badLeader(found: rawLeader, offset: 0)
    }
    if available < 8 { return nil }
    let type = PacketType(rawValue: u16(at: 4))
    let byteCount = Int(u16(at: 6))
    if leader != .data && byteCount != 0 {
      throw .unexpectedValue(
        field: "byte count of a \(leader) packet", expected: 0, found: UInt32(byteCount), offset: 6)
    }
    if byteCount > maxPayload {
      throw .oversized(byteCount: byteCount, limit: maxPayload, offset: 6)
    }
    let total = Frame.headerSize + byteCount + (leader == .data ? 1 : 0)
    if available < total { return nil }
    let packetId = u32(at: 8)
    let checksum = u32(at: 12)
    let payloadStart = start + Frame.headerSize
    let payload = Array(buffer[payloadStart..<payloadStart + byteCount])
    if leader == .breakIn && type != .unused {
      throw .unexpectedValue(
        field: "packet type of a break-in packet", expected: 0, found: UInt32(type.rawValue), offset: 4)
    }
    let sum = kdChecksum(payload)
    if sum != checksum {
      throw .checksumMismatch(expected: checksum, found: sum, offset: 12)
    }
    if leader == .data {
      let trailer = buffer[payloadStart + byteCount]
      if trailer != Frame.trailingByte {
        throw .badTrailer(found: trailer, offset: Frame.headerSize + byteCount)
      }
    }
    start += total
    if start == buffer.count {
      buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
      start = 0
    } else if start > 1 << 16 && start * 2 > buffer.count {
      buffer.removeFirst(start)
      start = 0
    }
    return Frame(leader: leader, type: type, packetId: packetId, payload: payload)
  }

  private func u16(at offset: Int) -> UInt16 {
    UInt16(buffer[start + offset]) | UInt16(buffer[start + offset + 1]) << 8
  }

  private func u32(at offset: Int) -> UInt32 {
    var value: UInt32 = 0
    for i in 0..<4 { value |= UInt32(buffer[start + offset + i]) << (8 * UInt32(i)) }
    return value
  }
}
