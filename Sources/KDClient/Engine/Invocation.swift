/// One command as typed: the whole text, the command word, and where its arguments start.
struct Invocation {
  /// The command text (one `;`-separated piece), used in error messages.
  let line: String
  /// The command word as typed (`db`, `kbn`, `!poolused`, `bp1`).
  let name: String
  /// Character offset in `line` where the arguments begin.
  let argumentsStart: Int

  var arguments: String {
    let chars = Array(line)
    return argumentsStart < chars.count ? String(chars[argumentsStart...]).trimmingSpaces : ""
  }

  func parser(_ context: ExpressionContext) -> ExpressionParser {
    ExpressionParser(line, from: argumentsStart, context: context)
  }

  /// Splits a command line into its command word and argument offset. KD lets some commands run into
  /// their arguments (`dd@esp`, `bp1`): the word is the leading run of letters/digits (or `.`/`!` words).
  static func split(_ line: String) -> Invocation {
    let chars = Array(line)
    var i = 0
    while i < chars.count, chars[i] == " " { i += 1 }
    let start = i
    if i < chars.count, chars[i] == "?" || chars[i] == "$" && i + 1 < chars.count && chars[i + 1] == "<" {
      i += chars[i] == "?" ? 1 : 2
      if chars[start] == "?", i < chars.count, chars[i] == "?" { i += 1 }
    } else {
      if i < chars.count, chars[i] == "." || chars[i] == "!" || chars[i] == "~" { i += 1 }
      while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
    }
    return Invocation(line: line, name: String(chars[start..<i]), argumentsStart: i)
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return String(s)
  }
}
