/// Why the daemon cannot start or go on. Each names what to change.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
  case configuration(String)
  case tokenFile(path: String, reason: String)
  case startup(String)
  /// A secret on disk others may read (a key, a token) or write (the state directory), refused as ssh does.
  case insecurePermissions(path: String, what: String, mode: UInt32, problem: String, fix: String)

  public var description: String {
    switch self {
    case .configuration(let message): message
    case .tokenFile(let path, let reason): "token file \(path): \(reason)"
    case .startup(let message): message
    case .insecurePermissions(let path, let what, let mode, let problem, let fix):
      "refusing \(what) \(path): mode \(ServerError.octal(mode)), \(problem). Fix: \(fix) "
        + "(or start with --allow-insecure-permissions)"
    }
  }

  /// `mode` as `ls` and `chmod` write it: at least four octal digits (0644, 1777).
  static func octal(_ mode: UInt32) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }
}
