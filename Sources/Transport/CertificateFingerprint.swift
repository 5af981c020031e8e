internal import COpenSSL

#if canImport(Glibc)
  import Glibc
#endif

/// SHA-256 fingerprints of certificates, written `SHA256:` + 32 uppercase hex pairs joined by `:`
/// (`SHA256:AB:CD:...`), the DER encoding hashed, as `openssl x509 -fingerprint -sha256` computes it.
public enum CertificateFingerprint {
  /// The fingerprint of `certificate` (an `X509 *`).
  static func of(_ certificate: OpaquePointer) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else {
      preconditionFailure("X509_digest(SHA-256) failed on a certificate OpenSSL loaded")
    }
    return "SHA256:" + digest.prefix(Int(length)).map { hexPair($0) }.joined(separator: ":")
  }

  /// The fingerprint of the first certificate in a PEM file.
  public static func ofFile(_ path: String) throws(TransportError) -> String {
    guard let file = fopen(path, "r") else { throw .system("fopen", "cannot read \(path)") }
    defer { fclose(file) }
    guard let certificate = PEM_read_X509(file, nil, nil, nil) else {
      throw TransportError(.configuration, "\(path) holds no PEM certificate", call: "PEM_read_X509")
    }
    defer { X509_free(certificate) }
    return of(certificate)
  }

  /// The canonical form of a fingerprint typed by a person: optional `SHA256:` prefix, any case, with or
  /// without colons. Nil when it is not 32 bytes of hex.
  public static func normalized(_ text: String) -> String? {
    var body = Substring(text.trimmingWhitespace)
    if body.uppercased().hasPrefix("SHA256:") { body = body.dropFirst(7) }
    let hex = body.filter { $0 != ":" }.uppercased()
    guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
    var pairs: [String] = []
    var index = hex.startIndex
    while index < hex.endIndex {
      let next = hex.index(index, offsetBy: 2)
      pairs.append(String(hex[index..<next]))
      index = next
    }
    return "SHA256:" + pairs.joined(separator: ":")
  }

  private static func hexPair(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
  }
}

extension String {
  fileprivate var trimmingWhitespace: String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
