#if canImport(Glibc)
  import Glibc
#endif

/// An error from the TLS transport, carrying its evidence: the call that failed, `errno` where the
/// system reported one, and OpenSSL's error stack (strings, oldest first) where OpenSSL reported one.
///
/// Equality of kinds is by ``code``; the other fields are evidence for people and logs.
public struct TransportError: Error, Sendable, CustomStringConvertible {
  /// What went wrong, as an open set.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// A system call failed (`call` and `errno` say which and why).
    public static let system = Code("system")
    /// An OpenSSL call failed (`call` and `openSSLErrors` say which and why).
    public static let tls = Code("tls")
    /// The peer's certificate was rejected: chain, host name, or fingerprint pin.
    public static let verification = Code("verification")
    /// Connect or handshake did not finish before its deadline.
    public static let timeout = Code("timeout")
    /// The peer did not read: queued output passed the hard limit and the connection was closed.
    public static let outputOverflow = Code("outputOverflow")
    /// The peer closed the TCP connection without a TLS close_notify (reset or unexpected end of stream).
    public static let connectionLost = Code("connectionLost")
    /// Options, files or addresses that cannot be used as given.
    public static let configuration = Code("configuration")
  }

  public let code: Code
  /// The call that failed (`"SSL_accept"`, `"connect"`, ...), when one did.
  public let call: String?
  /// `errno` as the failing system call left it, when it is meaningful.
  public let errno: Int32?
  /// OpenSSL's error stack at the failure, `ERR_error_string_n` form, oldest first.
  public let openSSLErrors: [String]
  /// One line for people: what happened, with the evidence that matters most.
  public let reason: String

  init(_ code: Code, _ reason: String, call: String? = nil, errno: Int32? = nil, openSSLErrors: [String] = []) {
    self.code = code
    self.reason = reason
    self.call = call
    self.errno = errno
    self.openSSLErrors = openSSLErrors
  }

  /// `call` failed with the current `errno`.
  static func system(_ call: String, _ what: String, errno err: Int32 = Glibc.errno) -> TransportError {
    TransportError(
      .system, "\(what): \(call): \(String(cString: strerror(err))) (errno \(err))", call: call, errno: err)
  }

  public var description: String {
    var text = "\(code): \(reason)"
    if !openSSLErrors.isEmpty { text += " [" + openSSLErrors.joined(separator: "; ") + "]" }
    return text
  }
}
