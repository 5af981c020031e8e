/// A debugger command: one type per command (or per command family sharing one layout), one file each.
protocol Command: Sendable {
  /// Names as `.help` lists them.
  static var names: [String] { get }
  /// One line for `.help`.
  static var summary: String { get }
  /// Whether an empty line repeats this command (KD: `p`, `t`, `d*`, `u`).
  static var repeatsOnEnter: Bool { get }
  /// Whether the typed command word selects this command (default: one of `names`, case-insensitive).
  static func matches(_ word: String) -> Bool
  static func run(_ invocation: Invocation, in session: Session) throws(CommandError) -> any CommandOutput
}

extension Command {
  static var repeatsOnEnter: Bool { false }
  static func matches(_ word: String) -> Bool { names.contains { $0.caseInsensitiveEquals(word) } }
}
