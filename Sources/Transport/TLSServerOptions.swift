/// How a server presents itself and whom it admits.
public struct TLSServerOptions: Sendable {
  /// PEM certificate chain; with `keyPath`. Both nil: a self-signed identity from `stateDirectory`.
  public var certificatePath: String?
  /// PEM private key for `certificatePath`.
  public var keyPath: String?
  /// Where a self-signed identity is generated once (files 0600) and reused.
  public var stateDirectory: String
  /// PEM CA bundle: when set, every client must present a certificate issued by it (mutual TLS).
  public var clientCAPath: String?
  /// Admit TLS 1.2 as well; TLS 1.3 only when false (the default).
  public var allowTLS12: Bool
  /// A connection that has not completed its handshake by then is refused.
  public var handshakeTimeout: Duration
  /// Per-connection cap on queued, unsent output; a connection past it is closed (``TransportError/Code/outputOverflow``).
  public var maxPendingOutputBytes: Int

  public init(
    certificatePath: String? = nil, keyPath: String? = nil, stateDirectory: String, clientCAPath: String? = nil,
    allowTLS12: Bool = false, handshakeTimeout: Duration = .seconds(10),
    maxPendingOutputBytes: Int = TLSConnection.defaultMaxPendingOutputBytes
  ) {
    self.certificatePath = certificatePath
    self.keyPath = keyPath
    self.stateDirectory = stateDirectory
    self.clientCAPath = clientCAPath
    self.allowTLS12 = allowTLS12
    self.handshakeTimeout = handshakeTimeout
    self.maxPendingOutputBytes = maxPendingOutputBytes
  }

  /// The private key of the self-signed identity kept in `stateDirectory` (whether or not it exists yet).
  public static func selfSignedKeyPath(in stateDirectory: String) -> String {
    stateDirectory + "/" + SelfSignedIdentity.keyFile
  }
}
