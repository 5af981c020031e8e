internal import COpenSSL

#if canImport(Glibc)
  import Glibc
#endif

/// The server identity used when no certificate is configured: an EC P-256 key and a self-signed
/// certificate (CN=kdserver, SAN localhost, 127.0.0.1, ::1, valid 10 years), generated once into the state
/// directory as `server-selfsigned-cert.pem` and `server-selfsigned-key.pem` (both 0600) and reused.
enum SelfSignedIdentity {
  static let certificateFile = "server-selfsigned-cert.pem"
  static let keyFile = "server-selfsigned-key.pem"

  /// Paths of the identity in `directory`, generating it first if either file is missing.
  static func ensure(in directory: String) throws(TransportError) -> (certificate: String, key: String, generated: Bool)
  {
    let certificatePath = directory + "/" + certificateFile
    let keyPath = directory + "/" + keyFile
    if access(certificatePath, R_OK) == 0 && access(keyPath, R_OK) == 0 {
      return (certificatePath, keyPath, false)
    }
    try makeDirectory(directory)
    try generate(certificatePath: certificatePath, keyPath: keyPath)
    return (certificatePath, keyPath, true)
  }

  /// Creates `path` and missing parents, mode 0700.
  private static func makeDirectory(_ path: String) throws(TransportError) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      prefix += "/" + component
      if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
        throw .system("mkdir", "cannot create state directory \(prefix)")
      }
    }
  }

  private static func generate(certificatePath: String, keyPath: String) throws(TransportError) {
    guard let key = kd_EVP_EC_gen_p256() else {
      throw OpenSSLErrors.error(call: "EVP_EC_gen", "cannot generate a P-256 key")
    }
    defer { EVP_PKEY_free(key) }
    guard let certificate = X509_new() else { throw OpenSSLErrors.error(call: "X509_new", "cannot make a certificate") }
    defer { X509_free(certificate) }

    var serial = [UInt8](repeating: 0, count: 16)
    var ok = RAND_bytes(&serial, Int32(serial.count)) == 1
    serial[0] &= 0x7F  // a positive serial
    let serialNumber = BN_bin2bn(serial, Int32(serial.count), nil)
    defer { BN_free(serialNumber) }
    ok = ok && BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate)) != nil
    ok = ok && X509_set_version(certificate, 2) == 1
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(certificate), 10 * 365 * 24 * 3600) != nil
    let name = X509_get_subject_name(certificate)
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "kdserver", -1, -1, 0) == 1
    ok = ok && X509_set_issuer_name(certificate, name) == 1
    ok = ok && X509_set_pubkey(certificate, key) == 1
    ok = ok && kd_X509_add_ext(certificate, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") == 1
    ok = ok && kd_X509_add_ext(certificate, NID_basic_constraints, "critical,CA:FALSE") == 1
    ok = ok && kd_X509_add_ext(certificate, NID_ext_key_usage, "serverAuth") == 1
    ok = ok && X509_sign(certificate, key, EVP_sha256()) > 0
    guard ok else { throw OpenSSLErrors.error(call: "X509_sign", "cannot build the self-signed certificate") }

    try writePrivately(keyPath) { bio in PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 }
    try writePrivately(certificatePath) { bio in PEM_write_bio_X509(bio, certificate) == 1 }
  }

  /// Writes `path` with mode 0600 through a temporary file and a rename, so a reader never sees half a file.
  private static func writePrivately(_ path: String, _ write: (OpaquePointer) -> Bool) throws(TransportError) {
    let temporary = path + ".tmp"
    unlink(temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .system("open", "cannot write \(temporary)") }
    guard let bio = BIO_new_fd(fd, BIO_CLOSE) else {
      close(fd)
      throw OpenSSLErrors.error(call: "BIO_new_fd", "cannot write \(temporary)")
    }
    let written = write(bio) && BIO_ctrl(bio, BIO_CTRL_FLUSH, 0, nil) == 1 && fsync(fd) == 0
    BIO_free(bio)
    guard written else {
      unlink(temporary)
      throw OpenSSLErrors.error(call: "PEM_write_bio", "cannot write \(temporary)")
    }
    guard rename(temporary, path) == 0 else { throw .system("rename", "cannot install \(path)") }
  }
}
