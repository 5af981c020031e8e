internal import COpenSSL

/// Rendering of certificate names for people and audit lines.
enum X509Name {
  /// RFC 2253 form of an `X509_NAME *` (`CN=alice,O=lab`), or nil.
  static func text(_ name: OpaquePointer?) -> String? {
    guard let name else { return nil }
    var buffer = [CChar](repeating: 0, count: 1024)
    let length = kd_X509_NAME_rfc2253(name, &buffer, Int32(buffer.count))
    guard length >= 0 else { return nil }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
