import KDProtocol

/// What arrives on a KDCOM line, one item at a time.
public enum KDCOMInput: Equatable, Sendable {
  /// A data packet whose checksum and trailer were right.
  case data(type: PacketType, id: UInt32, payload: [UInt8])
  /// A control packet: ACKNOWLEDGE (with the id acknowledged), RESEND or RESET.
  case control(type: PacketType, id: UInt32)
  /// The break-in byte (0x62) outside a packet.
  case breakIn
  /// Bytes that began as a packet and were not one (the receiver asks for a resend).
  case malformed(KDCOMPacketError)
}

/// Sans-IO decoder of KD's serial framing, as kdcom reads a line: it scans for four equal leader bytes ("0000"
/// or "iiii"; a longer run counts as one leader), reads the header, then for a data packet the payload and the 0xAA trailer. A break-in byte seen
/// while scanning is reported; any other byte restarts the scan. It never blocks, never throws and holds at
/// most 4000 payload bytes. A line that stalls mid-packet is for the owner to notice (``abandonPartial()``), as
/// kdcom's byte timeout does.
public struct KDCOMDecoder: Sendable {
  private enum State {
    case leader(byte: UInt8, count: Int)
    case header
    case payload
    case trailer
  }

  private var state = State.leader(byte: 0, count: 0)
  private var header: [UInt8] = []
  private var leaderByte: UInt8 = 0
  private var payload: [UInt8] = []
  private var byteCount = 0
  private var offset: UInt64 = 0
  private var ready: [KDCOMInput] = []
  private var readIndex = 0

  public init() {}

  /// Whether a packet has begun and not ended.
  public var inPacket: Bool {
    if case .leader(_, let count) = state { return count > 0 }
    return true
  }

  /// Takes bytes; what they complete is returned by ``next()``.
  public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    for byte in bytes {
      step(byte)
      offset &+= 1
    }
  }

  /// The next complete item, or nil when more bytes are needed.
  public mutating func next() -> KDCOMInput? {
    guard readIndex < ready.count else {
      if !ready.isEmpty {
        ready.removeAll(keepingCapacity: true)
        readIndex = 0
      }
      return nil
    }
    defer { readIndex += 1 }
    return ready[readIndex]
  }

  /// Drops a packet begun and not finished (the line went quiet in the middle of it).
  public mutating func abandonPartial() {
    state = .leader(byte: 0, count: 0)
    header = []
    payload = []
  }

  private mutating func step(_ byte: UInt8) {
    switch state {
    case .leader(let previous, let count):
      if byte == KDCOMPacket.dataLeaderByte || byte == KDCOMPacket.controlLeaderByte {
        let run = count > 0 && byte == previous ? count + 1 : 1
        if run == 4 {
          leaderByte = byte
          header = []
          state = .header
        } else {
          state = .leader(byte: byte, count: run)
        }
      } else {
        if byte == KDCOMPacket.breakInByte { ready.append(.breakIn) }
        state = .leader(byte: 0, count: 0)
      }
    case .header:
      // More leader bytes than four (noise just before a packet): the type's first byte is never one of them.
      if header.isEmpty && byte == leaderByte { return }
      header.append(byte)
      guard header.count == KDCOMPacket.headerSize - 4 else { return }
      let type = PacketType(rawValue: u16(0))
      byteCount = Int(u16(2))
      let id = u32(4)
      if leaderByte == KDCOMPacket.controlLeaderByte {
        state = .leader(byte: 0, count: 0)
        guard [.acknowledge, .resend, .reset].contains(type) else {
          ready.append(.malformed(.unknownControl(type: type.rawValue, offset: offset)))
          return
        }
        ready.append(.control(type: type, id: id))
        return
      }
      guard byteCount <= KDCOMPacket.maxPayload else {
        ready.append(.malformed(.tooLong(byteCount: byteCount, offset: offset)))
        state = .leader(byte: 0, count: 0)
        return
      }
      payload = []
      payload.reserveCapacity(byteCount)
      state = byteCount == 0 ? .trailer : .payload
    case .payload:
      payload.append(byte)
      if payload.count == byteCount { state = .trailer }
    case .trailer:
      state = .leader(byte: 0, count: 0)
      guard byte == KDCOMPacket.trailingByte else {
        ready.append(.malformed(.badTrailer(found: byte, offset: offset)))
        return
      }
      let expected = u32(8)
      let found = KDCOMPacket.checksum(payload)
      guard found == expected else {
        ready.append(.malformed(.badChecksum(expected: expected, found: found, offset: offset)))
        return
      }
      ready.append(.data(type: PacketType(rawValue: u16(0)), id: u32(4), payload: payload))
      payload = []
    }
  }

  /// Little-endian fields of the header after the leader.
  private func u16(_ at: Int) -> UInt16 { UInt16(header[at]) | UInt16(header[at + 1]) << 8 }
  private func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}
