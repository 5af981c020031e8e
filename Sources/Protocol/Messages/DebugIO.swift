/// A KD_DEBUG_IO payload: debug print output from the target (DbgPrint), KD's 16-byte DBGKD_DEBUG_IO header.
///
/// `ApiNumber u32 @0` (0x3230 DbgKdPrintStringApi), `ProcessorLevel u16 @4`, `Processor u16 @6`,
/// `LengthOfString u32 @8`, `Dropped u32 @12` (ours; KD: padding): prints the server coalesced away under a
/// flood since the previous DebugIO on this connection. Data: the text, UTF-8.
public struct DebugIO: Equatable, Sendable {
  public static let printString: UInt32 = 0x3230
  public var processor: UInt16
  public var text: String
  public var dropped: UInt32

  public init(text: String, dropped: UInt32 = 0, processor: UInt16 = 0) {
    self.text = text
    self.dropped = dropped
    self.processor = processor
  }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Frame.headerSize)
    let apiAt = r.absoluteOffset
    let api = try r.u32()
    if api != Self.printString {
      throw .invalidValue(field: "DebugIO ApiNumber", found: UInt64(api), offset: apiAt)
    }
    try r.reserved16()
    processor = try r.u16()
    let length = Int(try r.u32())
    dropped = try r.u32()
    if r.remaining != length {
      throw .lengthMismatch(field: "LengthOfString", expected: length, found: r.remaining, offset: Frame.headerSize + 8)
    }
    text = try r.utf8(length, field: "debug string")
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 16 + text.utf8.count)
    w.u32(Self.printString)
    w.u16(0)
    w.u16(processor)
    w.u32(UInt32(text.utf8.count))
    w.u32(dropped)
    w.append(text.utf8)
    return w.bytes
  }
}
