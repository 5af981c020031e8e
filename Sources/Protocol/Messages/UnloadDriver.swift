/// UnloadDriverApi (0x3181, new): unloads a driver (ours; `.unload`). The server starts a system thread running
/// nt!IopUnloadDriver for it, which runs when the target does: the driver's threads end, and a driver verified
/// with Pool Tracking that has allocations outstanding bug-checks 0xC4 / 0x62 instead of unloading.
///
/// u: `Thread u32 @16` (out: the unloading thread's id), `NameLength u32 @20`. Data: NameLength bytes, the
/// driver's image or module name in ASCII (1 to 64 bytes).
public struct UnloadDriver: ManipulateBody {
  public static let api = ApiNumber.unloadDriver
  public static let maxName = 64

  public var name: String
  public var thread: UInt32

  public init(name: String, thread: UInt32 = 0) {
    self.name = name
    self.thread = thread
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    thread = try u.u32()
    let lengthAt = u.absoluteOffset
    let length = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    guard (1...Self.maxName).contains(length), d.remaining == length else {
      throw .lengthMismatch(field: "NameLength", expected: d.remaining, found: length, offset: lengthAt)
    }
    let at = d.absoluteOffset
    let bytes = try d.bytes(length)
    if let bad = bytes.firstIndex(where: { $0 <= 0x20 || $0 >= 0x7f }) {
      throw .invalidValue(field: "Name", found: UInt64(bytes[bad]), offset: at + bad)
    }
    name = String(decoding: bytes, as: UTF8.self)
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    let bytes = Array(name.utf8)
    u.u32(thread)
    u.u32(UInt32(bytes.count))
    d.append(bytes)
  }
}
