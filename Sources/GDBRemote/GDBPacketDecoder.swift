/// What arrives on a GDB remote connection, one item at a time.
public enum GDBInput: Equatable, Sendable {
  /// A packet's payload, escapes (`}` x) undone, checksum verified.
  case packet([UInt8])
  /// `+`: the peer received our last packet.
  case acknowledged
  /// `-`: the peer wants our last packet again.
  case resendRequested
  /// The 0x03 byte: interrupt (Ctrl-C) while the target runs.
  case interrupt
  /// Bytes that should have been a packet and were not (the session answers `-` in acknowledgement mode).
  case malformed(GDBPacketError)
}

/// Sans-IO decoder of the GDB Remote Serial Protocol's framing: `$payload#cs`, acknowledgements, the interrupt
/// byte. Bytes in, ``GDBInput`` out; it never blocks, never throws, and holds at most `maxPayload` bytes of an
/// unfinished packet. Bytes between packets other than `+`, `-`, `$` and 0x03 are skipped, as gdbserver does.
public struct GDBPacketDecoder: Sendable {
  private enum State {
    case idle
    case payload
    case escape
    case checksum1
    case checksum2(UInt8)
  }

  public let maxPayload: Int
  private var state = State.idle
  private var payload: [UInt8] = []
  /// Sum of the bytes as sent (escapes included), what the checksum covers.
  private var sum: UInt8 = 0
  /// Why the packet being read will be dropped at its checksum instead of delivered.
  private var dropped: GDBPacketError?
  private var offset: UInt64 = 0
  private var ready: [GDBInput] = []
  private var readIndex = 0

  public init(maxPayload: Int) {
    self.maxPayload = max(1, maxPayload)
  }

  /// Takes bytes; what they complete is returned by ``next()``.
  public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
    for byte in bytes {
      step(byte)
      offset &+= 1
    }
  }

  /// The next complete item, or nil when more bytes are needed.
  public mutating func next() -> GDBInput? {
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

  private mutating func step(_ byte: UInt8) {
    switch state {
    case .idle:
      switch byte {
      case UInt8(ascii: "$"): begin()
      case UInt8(ascii: "+"): ready.append(.acknowledged)
      case UInt8(ascii: "-"): ready.append(.resendRequested)
      case 0x03: ready.append(.interrupt)
      default: break
      }
    case .payload:
      switch byte {
      case UInt8(ascii: "#"): state = .checksum1
      case UInt8(ascii: "$"):
        ready.append(.malformed(.unterminated(offset: offset)))
        begin()
      case UInt8(ascii: "}"):
        sum &+= byte
        state = .escape
      default:
        sum &+= byte
        append(byte)
      }
    case .escape:
      if byte == UInt8(ascii: "#") {
        dropped = dropped ?? .danglingEscape(offset: offset)
        state = .checksum1
        return
      }
      sum &+= byte
      append(byte ^ 0x20)
      state = .payload
    case .checksum1:
      guard let high = hexValue(byte) else {
        ready.append(.malformed(.badChecksumDigit(found: byte, offset: offset)))
        state = .idle
        return
      }
      state = .checksum2(high)
    case .checksum2(let high):
      state = .idle
      guard let low = hexValue(byte) else {
        ready.append(.malformed(.badChecksumDigit(found: byte, offset: offset)))
        return
      }
      let found = high << 4 | low
      if let dropped {
        ready.append(.malformed(dropped))
      } else if found != sum {
        ready.append(.malformed(.badChecksum(expected: sum, found: found, offset: offset)))
      } else {
        ready.append(.packet(payload))
      }
      payload = []
    }
  }

  private mutating func begin() {
    state = .payload
    payload = []
    sum = 0
    dropped = nil
  }

  private mutating func append(_ byte: UInt8) {
    if payload.count < maxPayload {
      payload.append(byte)
    } else if dropped == nil {
      dropped = .tooLong(limit: maxPayload, offset: offset)
    }
  }
}

func hexValue(_ byte: UInt8) -> UInt8? {
  switch byte {
  case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
  case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
  case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
  default: nil
  }
}
