/// `~Ns`: make processor N current (kernel mode). The target reports how many processors it has; on this
/// one-processor target `~0s` changes nothing (silent, as a switch is) and any other number is refused with a caret
/// under it (`^ Syntax error`: KD's own message for a bad processor is not in our reference).
enum ProcessorSwitch: Command {
  static let names = ["~Ns"]
  static let summary = "~Ns   switch to processor N (one processor here: ~0s)"

  static func matches(_ word: String) -> Bool {
    guard word.hasPrefix("~"), word.count >= 3, word.last == "s" || word.last == "S" else { return false }
    return word.dropFirst().dropLast().allSatisfy(\.isHexDigit)
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    // Where the number starts: after the `~` (the word may follow spaces).
    let numberAt = inv.argumentsStart - inv.name.count + 1
    let digits = inv.name.dropFirst().dropLast()
    let processors = try session.version().processors
    guard let n = Int(digits, radix: 16), n < processors else { throw .syntax(position: numberAt) }
    return TextOutput()
  }
}
