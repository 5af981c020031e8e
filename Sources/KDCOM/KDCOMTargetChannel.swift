import KDProtocol

/// The target's half of KD's stop-and-wait exchange on a serial line (kdcom's KdSendPacket and KdReceivePacket),
/// sans-IO: decoded input and the time in, bytes to write and packets to act on out. Time is the caller's
/// monotonic clock in nanoseconds, so tests need no sleeps.
///
/// - Sending: one data packet is outstanding at a time, with the id `CurrentPacketId` (0x80800800 at first: the
///   SYNC bit set, then 0x80800000 / 0x80800001 alternating). It is written again on RESEND and whenever no
///   ACKNOWLEDGE with its id (SYNC bit cleared) came within ``Timing/retransmitAfter``; state changes and
///   manipulate replies are retried until acknowledged, debug output is dropped after ``Timing/debugIOTries``
///   writes, as kdcom gives up on a debugger that is not there. Later packets wait their turn.
/// - Receiving: every data packet is acknowledged with its own id; it is new when its id is the expected one
///   (`RemotePacketId`, toggled per packet) or carries the SYNC bit, else a repeat (its ACK was lost) and is not
///   delivered twice. A data packet that arrives while ours awaits its ACK shows the debugger has ours, so it
///   counts as that ACK.
/// - Malformed packets get RESEND; RESET gets RESET and restarts both ids, and the owner re-sends its state.
public struct KDCOMTargetChannel: Sendable {
  public enum Action: Equatable, Sendable {
    /// Bytes to write to the line.
    case write([UInt8])
    /// A new data packet from the debugger.
    case deliver(type: PacketType, payload: [UInt8])
    /// The debugger sent the break-in byte.
    case breakIn
    /// The debugger reset the line: what was queued is gone; the owner sends its current state again.
    case reset
  }

  public struct Timing: Sendable {
    /// How long an unacknowledged packet waits before it is written again.
    public var retransmitAfter: UInt64
    /// How many times a KD_DEBUG_IO packet is written before it is given up.
    public var debugIOTries: Int
    public init(retransmitAfter: UInt64 = 1_000_000_000, debugIOTries: Int = 2) {
      self.retransmitAfter = retransmitAfter
      self.debugIOTries = max(1, debugIOTries)
    }
  }

  private struct Outstanding {
    var type: PacketType
    var bytes: [UInt8]
    var id: UInt32
    var deadline: UInt64
    var writes: Int
  }

  public let timing: Timing
  public private(set) var currentPacketId = KDCOMPacket.initialPacketId | KDCOMPacket.syncPacketId
  public private(set) var remotePacketId = KDCOMPacket.initialPacketId
  private var outstanding: Outstanding?
  private var queue: [(type: PacketType, payload: [UInt8])] = []
  /// Packets written again after a RESEND or a timeout, and packets given up (counters for logs and tests).
  public private(set) var retransmissions = 0
  public private(set) var dropped = 0

  public init(timing: Timing = Timing()) { self.timing = timing }

  /// Whether a packet of ours awaits its acknowledgement.
  public var awaitingAcknowledgement: Bool { outstanding != nil }
  /// Packets waiting behind the outstanding one.
  public var queued: Int { queue.count }
  /// When ``tick(now:)`` next has something to do.
  public var nextDeadline: UInt64? { outstanding?.deadline }

  /// Queues a data packet (written now if nothing is outstanding). A payload over 4000 bytes is our own bug.
  public mutating func send(type: PacketType, payload: [UInt8], now: UInt64) -> [Action] {
    queue.append((type, payload))
    return outstanding == nil ? transmitNext(now: now) : []
  }

  public mutating func receive(_ input: KDCOMInput, now: UInt64) -> [Action] {
    switch input {
    case .breakIn:
      return [.breakIn]
    case .malformed:
      return [.write(KDCOMPacket.control(type: .resend, id: 0))]
    case .control(let type, let id) where type == .acknowledge:
      guard let o = outstanding, id == o.id & ~KDCOMPacket.syncPacketId else { return [] }
      return acknowledged(now: now)
    case .control(let type, _) where type == .resend:
      guard var o = outstanding else { return [] }
      o.writes += 1
      o.deadline = now &+ timing.retransmitAfter
      outstanding = o
      retransmissions += 1
      return [.write(o.bytes)]
    case .control:  // RESET (the decoder passes no other control type)
      outstanding = nil
      queue.removeAll()
      currentPacketId = KDCOMPacket.initialPacketId
      remotePacketId = KDCOMPacket.initialPacketId
      return [.write(KDCOMPacket.control(type: .reset, id: 0)), .reset]
    case .data(let type, let id, let payload):
      var actions: [Action] = [.write(KDCOMPacket.control(type: .acknowledge, id: id))]
      let plain = id & ~KDCOMPacket.syncPacketId
      guard plain == remotePacketId || id & KDCOMPacket.syncPacketId != 0 else { return actions }
      remotePacketId = plain ^ 1
      var more: [Action] = []
      if outstanding != nil { more = acknowledged(now: now) }
      actions.append(.deliver(type: type, payload: payload))
      return actions + more
    }
  }

  /// Writes the outstanding packet again once its acknowledgement is overdue.
  public mutating func tick(now: UInt64) -> [Action] {
    guard var o = outstanding, now >= o.deadline else { return [] }
    if o.type == .debugIO && o.writes >= timing.debugIOTries {
      dropped += 1
      return acknowledged(now: now)
    }
    o.writes += 1
    o.deadline = now &+ timing.retransmitAfter
    outstanding = o
    retransmissions += 1
    return [.write(o.bytes)]
  }

  private mutating func acknowledged(now: UInt64) -> [Action] {
    outstanding = nil
    currentPacketId = (currentPacketId ^ 1) & ~KDCOMPacket.syncPacketId
    return transmitNext(now: now)
  }

  private mutating func transmitNext(now: UInt64) -> [Action] {
    guard !queue.isEmpty else { return [] }
    let next = queue.removeFirst()
    let bytes = KDCOMPacket.data(type: next.type, id: currentPacketId, payload: next.payload)
    outstanding = Outstanding(
      type: next.type, bytes: bytes, id: currentPacketId, deadline: now &+ timing.retransmitAfter, writes: 1)
    return [.write(bytes)]
  }
}
