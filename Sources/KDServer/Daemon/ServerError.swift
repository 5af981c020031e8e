/// Why the daemon cannot start or go on. Each names what to change.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
  case configuration(String)
  case tokenFile(path: String, reason: String)
  case startup(String)

  public var description: String {
    switch self {
    case .configuration(let message): message
    case .tokenFile(let path, let reason): "token file \(path): \(reason)"
    case .startup(let message): message
    }
  }
}
