/// Why a command failed, in KD's error forms. Positions are character offsets into the command line,
/// so the caret lands under the offending character.
public enum CommandError: Error, Sendable, Equatable {
  /// `^ Syntax error in '<line>'`
  case syntax(position: Int)
  /// `Couldn't resolve error at '<rest of line>'`
  case couldntResolve(position: Int)
  /// `^ Memory access error in '<line>'` (`u` on unreadable memory)
  case memoryAccess(position: Int)
  /// `Memory access error at '<rest of line>'` (an expression's `poi(0)`: `at ')'`)
  case memoryAccessAt(position: Int)
  /// `^ Bad register error in '<line>'`
  case badRegister(position: Int)
  /// `^ Operand error in '<line>'` (divide by zero and the like)
  case operand(position: Int)
  /// The target or the link failed.
  case target(TargetError)
  /// A message of the command's own (KD prints these as plain lines).
  case message(String)
  /// The target did not break before the deadline (`--timeout`); it is still running.
  case timedOut
  /// Ctrl+C cancelled the command (the output so far was shown).
  case cancelled

  /// What a command cancelled by Ctrl+C ends with (docs/COMMANDS.md, "Console").
  public static let cancelledText = "^C"

  /// The text KD prints for this error after `line` was typed at a prompt `promptWidth` wide.
  public func render(line: String, promptWidth: Int) -> String {
    func rest(_ position: Int) -> String {
      let chars = Array(line)
      return position >= 0 && position < chars.count ? String(chars[position...]) : ""
    }
    func caret(_ position: Int, _ what: String) -> String {
      String(repeating: " ", count: promptWidth + max(0, position)) + "^ \(what) in '\(line)'"
    }
    switch self {
    case .syntax(let p): return caret(p, "Syntax error")
    case .couldntResolve(let p): return "Couldn't resolve error at '\(rest(p))'"
    case .memoryAccess(let p): return caret(p, "Memory access error")
    case .memoryAccessAt(let p): return "Memory access error at '\(rest(p))'"
    case .badRegister(let p): return caret(p, "Bad register error")
    case .operand(let p): return caret(p, "Operand error")
    case .target(let e): return e.description
    case .message(let m): return m
    case .timedOut: return "Timed out waiting for the target to break; it is still running"
    case .cancelled: return Self.cancelledText
    }
  }
}
