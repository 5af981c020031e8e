/// `.echo String`, `.echo "String"`: prints the string (without its quotes); `.echo` alone prints an empty line.
/// The string ends at `;` unless quoted, as in KD.
enum Echo: Command {
  static let names = [".echo"]
  static let summary = ".echo [String]   print a string"

  struct Output: CommandOutput {
    var text: String
    var lines: [String] { [text] }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var text = inv.arguments
    if text.count >= 2, text.first == "\"", text.last == "\"" { text = String(text.dropFirst().dropLast()) }
    return Output(text: text)
  }
}
