/// A `qXfer:…:read` reply: the part of `object` at [offset, offset+length), prefixed `m` when more follows and
/// `l` when this is the last part (an offset at or past the end gives a bare `l`). The bytes go out as they
/// are; the packet encoder escapes what the framing reserves.
public enum GDBTransfer {
  public static func chunk(_ object: [UInt8], offset: UInt64, length: UInt64) -> [UInt8] {
    let part = slice(object, offset: offset, length: length)
    let last = offset >= UInt64(object.count) || Int(offset) + part.count >= object.count
    return [UInt8(ascii: last ? "l" : "m")] + part
  }

  /// The bytes of `object` in [offset, offset+length), clipped to its end (none past it).
  public static func slice(_ object: [UInt8], offset: UInt64, length: UInt64) -> [UInt8] {
    guard offset < UInt64(object.count) else { return [] }
    let start = Int(offset)
    let end = Int(min(UInt64(object.count), offset + min(length, UInt64(object.count))))
    return Array(object[start..<end])
  }

  /// A `vFile:fstat` reply's struct: File-I/O's `struct stat`, 64 bytes, big-endian; a read-only regular file.
  public static func fileStat(size: UInt64) -> [UInt8] {
    func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    func be64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    // dev, ino, mode (S_IFREG | 0444), nlink, uid, gid, rdev; size, blksize, blocks; atime, mtime, ctime.
    return be32(0) + be32(1) + be32(0o100444) + be32(1) + be32(0) + be32(0) + be32(0)
      + be64(size) + be64(4096) + be64((size + 511) / 512) + be32(0) + be32(0) + be32(0)
  }
}
