/// How a client verifies the server and identifies itself.
///
/// Server verification: by `caPath` (chain + host name or IP), by `fingerprint` pin, or both; with neither,
/// the system's default CA store and the host name.
public struct TLSClientOptions: Sendable {
  /// PEM CA bundle that must have issued the server certificate.
  public var caPath: String?
  /// Pinned SHA-256 fingerprint of the server certificate (``CertificateFingerprint`` format; colons and
  /// case do not matter, the `SHA256:` prefix is optional).
  public var fingerprint: String?
  /// PEM client certificate chain, for servers that ask for mutual TLS; with `keyPath`.
  public var certificatePath: String?
  public var keyPath: String?
  /// Name for SNI and host-name verification; defaults to the host connected to.
  public var serverName: String?
  /// Offer TLS 1.2 as well as 1.3.
  public var allowTLS12: Bool
  /// Cap on queued, unsent output before the connection is closed.
  public var maxPendingOutputBytes: Int

  public init(
    caPath: String? = nil, fingerprint: String? = nil, certificatePath: String? = nil, keyPath: String? = nil,
    serverName: String? = nil, allowTLS12: Bool = false,
    maxPendingOutputBytes: Int = TLSConnection.defaultMaxPendingOutputBytes
  ) {
    self.caPath = caPath
    self.fingerprint = fingerprint
    self.certificatePath = certificatePath
    self.keyPath = keyPath
    self.serverName = serverName
    self.allowTLS12 = allowTLS12
    self.maxPendingOutputBytes = maxPendingOutputBytes
  }
}
