/// Why bytes that began as a packet were not one. Each carries the stream offset of the byte that showed it
/// (the first byte of the stream is offset 0). The receiver answers each with RESEND, as kdcom does.
public enum KDCOMPacketError: Error, Equatable, Sendable {
  /// ByteCount above PACKET_MAX_SIZE (4000).
  case tooLong(byteCount: Int, offset: UInt64)
  /// The payload's byte sum is not the header's Checksum.
  case badChecksum(expected: UInt32, found: UInt32, offset: UInt64)
  /// The byte after a data packet's payload is not 0xAA.
  case badTrailer(found: UInt8, offset: UInt64)
  /// A control packet with a type that is not ACKNOWLEDGE, RESEND or RESET.
  case unknownControl(type: UInt16, offset: UInt64)
}
