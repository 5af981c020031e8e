import Foundation

/// `$<File`: runs each line of a file as commands (KD's `$<` replaces newlines, so each line runs in turn).
enum RunScript: Command {
  static let names = ["$<"]
  static let summary = "$<File   run the commands in a file"

  struct Output: CommandOutput {
    var path: String
    var results: [Nested]
    struct Nested: Codable, Sendable {
      var command: String
      var ok: Bool
      var text: [String]
    }
    var lines: [String] { results.flatMap { ["kd> " + $0.command] + $0.text } }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let path = inv.arguments
    guard !path.isEmpty else { throw .syntax(position: inv.argumentsStart) }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw .message("Unable to open script file '\(path)'")
    }
    guard let runLine = session.runLine else { throw .message("Scripts cannot nest this deep") }
    var results: [Output.Nested] = []
    for raw in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
      let line = String(raw).trimmingSpaces
      if line.isEmpty || line.hasPrefix("$$") { continue }
      for r in runLine(line) {
        results.append(.init(command: r.command, ok: r.succeeded, text: r.lines))
        if session.ended { return Output(path: path, results: results) }
      }
    }
    return Output(path: path, results: results)
  }
}
