import KDProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// The shared secret a client sends in its hello when the server has `--token-file`.
/// The file holds the token as text (surrounding whitespace ignored); it must carry at least 128 bits:
/// 32 hex digits, or 16 bytes of other text; and at most the 256 bytes a hello carries.
public struct AccessToken: Sendable {
  let bytes: [UInt8]

  public init(bytes: [UInt8]) { self.bytes = bytes }

  public static func load(path: String) throws(ServerError) -> AccessToken {
    guard let file = fopen(path, "rb") else {
      throw .tokenFile(path: path, reason: "cannot open (errno \(errno))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n <= 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
      if bytes.count > 4096 { throw .tokenFile(path: path, reason: "larger than 4096 bytes") }
    }
    let token = trimmed(bytes)
    let isHex = !token.isEmpty && token.allSatisfy { isHexDigit($0) }
    if (isHex && token.count < 32) || (!isHex && token.count < 16) {
      throw .tokenFile(path: path, reason: "shorter than 128 bits (use e.g. `openssl rand -hex 16`)")
    }
    if token.count > Limits.maxTokenLength {
      throw .tokenFile(
        path: path,
        reason: "the token is \(token.count) bytes, longer than the \(Limits.maxTokenLength) a hello carries, "
          + "so no client could present it (use e.g. `openssl rand -hex 16`)")
    }
    return AccessToken(bytes: token)
  }

  static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
    else { return [] }
    return Array(bytes[first...last])
  }

  static func isHexDigit(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
  }

  /// Compares in time that depends only on the lengths, never on where the first difference is.
  public func matches(_ candidate: [UInt8]) -> Bool {
    let presented = AccessToken.trimmed(candidate)
    var difference = UInt8(truncatingIfNeeded: bytes.count ^ presented.count)
    for i in 0..<bytes.count {
      difference |= bytes[i] ^ (i < presented.count ? presented[i] : 0)
    }
    return difference == 0
  }
}
