import Foundation
import KDTransport

/// Why a connection to a server could not be opened, sorted into the causes `kd`'s exit status tells apart,
/// with the transport's evidence (system call, errno, OpenSSL's error stack).
public struct ConnectFailure: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Cause: String, Sendable {
    /// The host name does not resolve.
    case unknownHost
    /// Refused, unreachable, or turned away by the server (busy, other protocol version).
    case unreachable
    /// The server's certificate did not verify (chain, host name or fingerprint pin).
    case verification
    /// Connect, handshake or hello did not finish in time.
    case timeout
    /// The server closed the connection during the handshake.
    case lost
    /// A local file or setting cannot be used (CA, certificate, key, fingerprint syntax).
    case configuration
  }

  public let cause: Cause
  /// `HOST:PORT` as given.
  public let peer: String
  /// The transport's one-line reason.
  public let reason: String
  public let call: String?
  public let errno: Int32?
  public let openSSLErrors: [String]
  /// The SHA-256 fingerprint the server presented, when its certificate did not verify and none was pinned.
  public var presentedFingerprint: String?

  public init(
    cause: Cause, peer: String, reason: String, call: String? = nil, errno: Int32? = nil, openSSLErrors: [String] = []
  ) {
    self.cause = cause
    self.peer = peer
    self.reason = reason
    self.call = call
    self.errno = errno
    self.openSSLErrors = openSSLErrors
  }

  init(peer: String, _ error: TransportError) {
    let cause: Cause
    switch error.code {
    case .verification: cause = .verification
    case .timeout: cause = .timeout
    case .connectionLost: cause = .lost
    case .configuration:
      cause = error.call == "getaddrinfo" || error.reason.hasPrefix("no address for") ? .unknownHost : .configuration
    default: cause = .unreachable
    }
    self.init(
      cause: cause, peer: peer, reason: error.reason, call: error.call, errno: error.errno,
      openSSLErrors: error.openSSLErrors)
  }

  /// One line: what failed and the evidence, without repeating itself.
  public var description: String {
    switch cause {
    case .unreachable:
      guard let errno else { return "cannot connect to \(peer): \(reason)" }
      return "cannot connect to \(peer): \(String(cString: strerror(errno))) (\(call ?? "connect"), errno \(errno))"
    case .unknownHost: return "unknown host: \(reason)"
    case .verification:
      var text = "cannot verify the server \(peer): \(reason)"
      if let presentedFingerprint {
        text +=
          "\nThe server presented a certificate no CA here vouches for; its SHA-256 fingerprint is\n"
          + "  \(presentedFingerprint)\n"
          + "If that is the fingerprint kdserver printed at start ('fingerprint=...'), pin it:\n"
          + "  kd --connect \(peer) --fingerprint \(presentedFingerprint)"
      }
      return text
    case .timeout, .lost, .configuration: return reason
    }
  }
}
