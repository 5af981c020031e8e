/// A command's structured result: it renders to KD's text layout (`lines`) and encodes to JSON with the
/// same data.
public protocol CommandOutput: Encodable, Sendable {
  /// KD's text, one element per line, without newlines.
  var lines: [String] { get }
}

/// Output of commands that print fixed text only (help, log notices) or nothing (`ed`, `bp`).
struct TextOutput: CommandOutput {
  var lines: [String]
  init(_ lines: [String] = []) { self.lines = lines }
}
