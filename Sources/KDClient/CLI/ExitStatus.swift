import KDProtocol

/// `kd`'s exit status: one per cause, sysexits-style (`kd --help` and docs/COMMANDS.md list them).
public enum KDExitStatus: Int32, CaseIterable, Sendable, Error {
  case ok = 0
  /// A command failed and `--stop-on-error` was given.
  case commandFailed = 1
  /// EX_USAGE: the command line is wrong.
  case usage = 64
  /// EX_NOINPUT: the `--script` file does not exist or cannot be read (checked before connecting).
  case scriptNotFound = 66
  /// EX_NOHOST: the `--connect` host name does not resolve.
  case unknownHost = 68
  /// EX_UNAVAILABLE: connection refused or unreachable, or the server turned the session away.
  case unreachable = 69
  /// EX_IOERR: the connection to the target was lost.
  case connectionLost = 74
  /// EX_TEMPFAIL: `--timeout` passed, or connecting did not finish in time.
  case timeout = 75
  /// EX_PROTOCOL: the server's certificate did not verify (CA, host name, or `--fingerprint` pin).
  case tlsVerification = 76
  /// EX_NOPERM: the server refused the token.
  case authenticationRefused = 77
  /// EX_CONFIG: a local file or setting cannot be used (token file, certificate, key, CA, fingerprint syntax, the
  /// embedded target's scenario).
  case configuration = 78

  /// What the status means, for `kd --help`.
  public var meaning: String {
    switch self {
    case .ok: "success"
    case .commandFailed: "a command failed (with --stop-on-error)"
    case .usage: "usage error"
    case .scriptNotFound: "--script file not found or unreadable"
    case .unknownHost: "unknown host"
    case .unreachable: "connection refused or unreachable, or the server turned the session away"
    case .connectionLost: "connection lost"
    case .timeout: "timed out (--timeout, or connecting)"
    case .tlsVerification: "TLS verification of the server failed"
    case .authenticationRefused: "authentication refused (token)"
    case .configuration: "a local file or setting cannot be used (token, certificate, key, CA, scenario)"
    }
  }

  /// The status for a failure to open the target.
  public static func connecting(_ error: any Error) -> KDExitStatus {
    // Anything but a RemoteError comes from the embedded target: its scenario or scenarios directory.
    guard let remote = error as? RemoteError else { return .configuration }
    switch remote {
    case .transport(let f):
      switch f.cause {
      case .unknownHost: return .unknownHost
      case .unreachable: return .unreachable
      case .verification: return .tlsVerification
      case .timeout: return .timeout
      case .lost: return .connectionLost
      case .configuration: return .configuration
      }
    case .refused(let status, _): return status == .accessDenied ? .authenticationRefused : .unreachable
    case .timeout: return .timeout
    case .disconnected: return .connectionLost
    case .connect: return .unreachable
    case .configuration: return .configuration
    }
  }

  /// The table `kd --help` ends with.
  static var helpTable: String {
    allCases.map { "  \(String($0.rawValue).leftPadded(to: 3, with: " "))  \($0.meaning)" }.joined(separator: "\n")
  }
}
