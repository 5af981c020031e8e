/// The kernel pool Allocate/Free log Driver Verifier keeps for its verified drivers (`!verifier 0x80`): a ring at
/// nt!ViPoolLog of nt!ViPoolLogSize entries, nt!ViPoolLogIndex written so far (docs/KERNEL.md, "Driver
/// Verifier"). Each entry: block address, size, thread, kind, and the stack from inside the pool routine, so the
/// top frame tells an allocation (nt!ExAllocatePoolWithTag) from a free (nt!ExFreePoolWithTag).
struct VerifierPoolLog {
  struct Record: Codable, Sendable {
    @HexString var block: UInt32
    var size: UInt32
    @HexString var thread: UInt32
    var free: Bool
    @HexString var frames: [UInt32]
  }

  static let entrySize = 0x40
  static let frames = 12
  /// Largest ring followed (the kernel's has 0x1000 entries).
  static let maxEntries: UInt32 = 0x10000

  /// Entries in the ring (its capacity).
  var capacity: UInt32
  /// Records, newest first.
  var records: [Record]

  static func read(_ session: Session) throws(CommandError) -> VerifierPoolLog {
    guard let logAt = try session.ntSymbol("ViPoolLog"), let sizeAt = try session.ntSymbol("ViPoolLogSize"),
      let indexAt = try session.ntSymbol("ViPoolLogIndex")
    else { throw .message("nt!ViPoolLog is not in this kernel's symbols: it keeps no pool Allocate/Free log") }
    guard let log = try session.readU32(logAt), let size = try session.readU32(sizeAt),
      let written = try session.readU32(indexAt)
    else { throw .message("Unable to read nt!ViPoolLog, nt!ViPoolLogSize or nt!ViPoolLogIndex") }
    guard log != 0, size != 0 else { return VerifierPoolLog(capacity: 0, records: []) }
    guard size <= maxEntries else {
      throw .message("nt!ViPoolLogSize holds \(Hex.d8(size)): more than the \(Hex.d8(maxEntries)) entries a log has")
    }
    let count = Int(min(written, size))
    guard let bytes = try session.readExact(log, count: Int(size) * entrySize) else {
      throw .message("Unable to read the pool log at \(Hex.d8(log))")
    }
    var records: [Record] = []
    for n in 0..<count {
      let slot = Int((written &- 1 &- UInt32(n)) % size)
      let o = slot * entrySize
      let frames = (0..<Self.frames).map { bytes.u32(at: o + 16 + 4 * $0) }.prefix { $0 != 0 }
      records.append(
        Record(
          block: bytes.u32(at: o), size: bytes.u32(at: o + 4), thread: bytes.u32(at: o + 8),
          free: bytes.u32(at: o + 12) == 2, frames: Array(frames)))
    }
    return VerifierPoolLog(capacity: size, records: records)
  }
}
