/// A piece of command text and where it starts in the text it was cut from (a line, or a script file's
/// condensed text), so that errors deep inside a block can still name the script line.
struct SourceText: Equatable {
  var text: String
  var offset: Int
}

/// One statement of KD's command language: a simple command, or one of the control flow tokens of a
/// "debugger command program" (Microsoft's docs: `.if`, `.elsif`, `.else`, `.for`, `.while`, `.foreach`,
/// `.block`, `.break`, `.continue`, `j`), a comment (`$$ …`, `* …`) or a script file (`$<`, `$><`, `$$<`,
/// `$$><`, `$$>a<`).
enum Statement: Equatable {
  case command(String)
  case comment
  /// `.if (c) { … } [.elsif (c) { … }]… [.else { … }]`
  case conditional(branches: [Branch], otherwise: SourceText?)
  case whileLoop(condition: String, body: SourceText)
  /// `.for (Initial ; Condition ; Increment[; Increment…]) { … }`
  case forLoop(initial: String, condition: String, increment: String, body: SourceText)
  case foreach(Foreach)
  case block(SourceText)
  case breakLoop
  case continueLoop
  /// `j Expression Command1 ; Command2`: the text after `j` (it runs to the end of the text).
  case executeIf(String)
  case script(ScriptInvocation)

  struct Branch: Equatable {
    var condition: String
    var body: SourceText
  }

  /// `.foreach [/pS n] [/ps n] ( Variable { InCommands } ) { OutCommands }`, `/s ( Variable "InString" )`,
  /// `/f ( Variable "InFile" )`.
  struct Foreach: Equatable {
    enum Source: Equatable {
      case commands(String)
      case string(String)
      case file(String)
    }
    var variable: String
    var source: Source
    var initialSkip = 0
    var skip = 0
    var body: SourceText
  }
}

/// A script file token: `$<` and `$$<` run the file line by line, echoing each; `$><` and `$$><` condense it
/// into one command block (newlines become `;`), echoed once; `$$>a<` condenses, passes arguments, and
/// echoes nothing.
struct ScriptInvocation: Equatable {
  var path: String
  var condensed: Bool
  /// The `$$>a<` arguments; nil for the other tokens.
  var arguments: [String]?
  var echoes: Bool { arguments == nil }
}

/// A statement that does not parse: where it starts and where it went wrong, as offsets into the text.
struct StatementSyntaxError: Error, Equatable {
  var start: Int
  var position: Int
}

/// Cuts command text into statements, one at a time (so that a statement runs before a later one that is
/// malformed is even looked at, as in KD). `;` separates statements outside quotes (`"…"`, `'…'`), braces
/// and `${…}`; around a control flow token's parts, `;` and line ends may appear (a `$><` script's newlines
/// become `;`).
struct StatementScanner {
  let chars: [Character]
  let base: Int
  private(set) var position = 0

  init(_ source: SourceText) {
    chars = Array(source.text)
    base = source.offset
  }

  init(_ text: String) { self.init(SourceText(text: text, offset: 0)) }

  var atEnd: Bool {
    mutating get {
      skipSeparators()
      return position >= chars.count
    }
  }

  /// The next statement, its text, and its offset; nil at the end of the text.
  mutating func next() throws(StatementSyntaxError) -> (statement: Statement, text: String, offset: Int)? {
    skipSeparators()
    guard position < chars.count else { return nil }
    let start = position
    let statement = try scanStatement(start)
    let text = String(chars[start..<min(position, chars.count)]).trimmingSpaces
    return (statement, text, base + start)
  }

  /// The rest of the text from `start` (for error messages).
  func rest(from start: Int) -> String { start < chars.count ? String(chars[start...]) : "" }

  // MARK: statements

  private mutating func scanStatement(_ start: Int) throws(StatementSyntaxError) -> Statement {
    if let script = try scanScriptToken(start) { return script }
    if peek("$$") {
      _ = readSimple()
      return .comment
    }
    if chars[position] == "*" {
      position = chars.count
      return .comment
    }
    let word = peekWord()
    switch word.lowercased() {
    case "j":
      position += 1
      let text = rest(from: position)
      position = chars.count
      return .executeIf(text)
    case ".if":
      position += word.count
      var branches = [Statement.Branch(condition: try condition(start), body: try block(start))]
      var otherwise: SourceText?
      while true {
        let save = position
        skipSeparators()
        let next = peekWord().lowercased()
        if next == ".elsif" {
          position += next.count
          branches.append(.init(condition: try condition(start), body: try block(start)))
        } else if next == ".else" {
          position += next.count
          otherwise = try block(start)
          break
        } else {
          position = save
          break
        }
      }
      return .conditional(branches: branches, otherwise: otherwise)
    case ".while":
      position += word.count
      return .whileLoop(condition: try condition(start), body: try block(start))
    case ".for":
      position += word.count
      skipSpaces()
      guard position < chars.count, chars[position] == "(" else { throw .init(start: start, position: position) }
      let parts = Self.split(try balanced(start, open: "(", close: ")"))
      guard parts.count >= 2 else { throw .init(start: start, position: position) }
      return .forLoop(
        initial: parts[0], condition: parts[1], increment: parts.dropFirst(2).joined(separator: ";"),
        body: try block(start))
    case ".foreach":
      position += word.count
      return .foreach(try foreach(start))
    case ".block":
      position += word.count
      return .block(try block(start))
    case ".break", ".continue":
      position += word.count
      skipSpaces()
      guard position >= chars.count || chars[position] == ";" else { throw .init(start: start, position: position) }
      return word.lowercased() == ".break" ? .breakLoop : .continueLoop
    case ".elsif", ".else":
      throw .init(start: start, position: start)
    default:
      return .command(readSimple())
    }
  }

  /// `$<`, `$><` (the rest of the text is the file name), `$$<`, `$$><` (up to `;`), `$$>a<` (a file name,
  /// quoted when it has spaces, then arguments up to `;`).
  private mutating func scanScriptToken(_ start: Int) throws(StatementSyntaxError) -> Statement? {
    let tokens: [(String, Bool, Bool, Bool)] = [
      // token, condensed, takes the rest of the text (a file name may hold `;`), takes arguments
      ("$$>a<", true, false, true), ("$$><", true, false, false), ("$$<", false, false, false),
      ("$><", true, true, false), ("$<", false, true, false),
    ]
    guard let (token, condensed, wholeRest, takesArguments) = tokens.first(where: { peek($0.0) }) else { return nil }
    position += token.count
    if wholeRest {
      let path = rest(from: position).trimmingSpaces
      position = chars.count
      guard !path.isEmpty else { throw .init(start: start, position: start + token.count) }
      return .script(ScriptInvocation(path: path, condensed: condensed, arguments: nil))
    }
    if !takesArguments {
      let from = position
      while position < chars.count, chars[position] != ";" { position += 1 }
      var path = String(chars[from..<position]).trimmingSpaces
      if path.count >= 2, path.first == "\"", path.last == "\"" { path = String(path.dropFirst().dropLast()) }
      guard !path.isEmpty else { throw .init(start: start, position: start + token.count) }
      return .script(ScriptInvocation(path: path, condensed: condensed, arguments: nil))
    }
    var words: [String] = []
    while true {
      skipSpaces()
      guard position < chars.count, chars[position] != ";" else { break }
      if chars[position] == "\"" {
        guard let close = chars[(position + 1)...].firstIndex(of: "\"") else {
          throw .init(start: start, position: position)
        }
        words.append(String(chars[(position + 1)..<close]))
        position = close + 1
      } else {
        let from = position
        while position < chars.count, !" \t;".contains(chars[position]) { position += 1 }
        words.append(String(chars[from..<position]))
      }
    }
    guard let path = words.first, !path.isEmpty else { throw .init(start: start, position: start + token.count) }
    return .script(
      ScriptInvocation(path: path, condensed: condensed, arguments: takesArguments ? Array(words.dropFirst()) : nil))
  }

  private mutating func foreach(_ start: Int) throws(StatementSyntaxError) -> Statement.Foreach {
    var initialSkip = 0
    var skip = 0
    var mode = ""
    while true {
      skipSpaces()
      guard position < chars.count, chars[position] == "/" else { break }
      let option = String(chars[position..<min(position + 3, chars.count)])
      if option == "/pS" || option == "/ps" {
        position += 3
        skipSpaces()
        let from = position
        while position < chars.count, chars[position].isHexDigit || "xXnN".contains(chars[position]) { position += 1 }
        guard let n = ExpressionParser.number(String(chars[from..<position])), n <= 0x7fff_ffff else {
          throw .init(start: start, position: from)
        }
        if option == "/pS" { initialSkip = Int(n) } else { skip = Int(n) }
      } else if option.hasPrefix("/s") || option.hasPrefix("/f") {
        mode = String(option.prefix(2))
        position += 2
      } else {
        throw .init(start: start, position: position)
      }
    }
    skipSpaces()
    guard position < chars.count, chars[position] == "(" else { throw .init(start: start, position: position) }
    position += 1
    skipSpaces()
    let from = position
    while position < chars.count, !chars[position].isWhitespace, !"{\"".contains(chars[position]) { position += 1 }
    let variable = String(chars[from..<position])
    guard !variable.isEmpty else { throw .init(start: start, position: from) }
    skipSpaces()
    guard position < chars.count else { throw .init(start: start, position: position) }
    let source: Statement.Foreach.Source
    if chars[position] == "{" && mode.isEmpty {
      source = .commands(try balanced(start, open: "{", close: "}"))
    } else if chars[position] == "\"" && !mode.isEmpty {
      guard let close = chars[(position + 1)...].firstIndex(of: "\"") else {
        throw .init(start: start, position: position)
      }
      let text = String(chars[(position + 1)..<close])
      position = close + 1
      source = mode == "/s" ? .string(text) : .file(text)
    } else {
      throw .init(start: start, position: position)
    }
    skipSpaces()
    guard position < chars.count, chars[position] == ")" else { throw .init(start: start, position: position) }
    position += 1
    return .init(variable: variable, source: source, initialSkip: initialSkip, skip: skip, body: try block(start))
  }

  // MARK: parts

  /// `(Condition)`, or the text up to the block's `{` (the parentheses are optional).
  private mutating func condition(_ start: Int) throws(StatementSyntaxError) -> String {
    skipSpaces()
    guard position < chars.count else { throw .init(start: start, position: position) }
    if chars[position] == "(" { return try balanced(start, open: "(", close: ")") }
    let from = position
    while position < chars.count, chars[position] != "{" { position += 1 }
    let text = String(chars[from..<position]).trimmingSpaces
    guard !text.isEmpty, position < chars.count else { throw .init(start: start, position: from) }
    return text
  }

  /// `{ Commands }`, which may follow after `;` or line ends.
  private mutating func block(_ start: Int) throws(StatementSyntaxError) -> SourceText {
    skipSeparators()
    guard position < chars.count, chars[position] == "{" else { throw .init(start: start, position: position) }
    let offset = base + position + 1
    return SourceText(text: try balanced(start, open: "{", close: "}"), offset: offset)
  }

  /// The text between `open` at `position` and its matching `close` (quotes and `${…}` hide brackets);
  /// `position` ends after `close`.
  private mutating func balanced(_ start: Int, open: Character, close: Character) throws(StatementSyntaxError)
    -> String
  {
    let from = position
    var depth = 0
    var quote: Character?
    while position < chars.count {
      if skipQuoted(&quote) { continue }
      let c = chars[position]
      if c == open {
        depth += 1
      } else if c == close {
        depth -= 1
        if depth == 0 {
          position += 1
          return String(chars[(from + 1)..<(position - 1)])
        }
      }
      position += 1
    }
    throw .init(start: start, position: from)
  }

  /// A simple command: up to `;` outside quotes and `${…}`.
  private mutating func readSimple() -> String {
    let from = position
    var quote: Character?
    while position < chars.count {
      if skipQuoted(&quote) { continue }
      if chars[position] == ";" { break }
      position += 1
    }
    return String(chars[from..<position]).trimmingSpaces
  }

  /// Steps over the character at `position` when it is inside quotes (`"…"`, where `\"` is a quote, or
  /// `'…'`), opens them, or starts a `${…}` (stepped over whole); false for any other character.
  private mutating func skipQuoted(_ quote: inout Character?) -> Bool {
    let c = chars[position]
    if let q = quote {
      if c == "\\" && q == "\"" { position += 1 } else if c == q { quote = nil }
    } else if c == "\"" || c == "'" {
      quote = c
    } else if c == "$", position + 1 < chars.count, chars[position + 1] == "{",
      let end = chars[position...].firstIndex(of: "}")
    {
      position = end
    } else {
      return false
    }
    position += 1
    return true
  }

  /// `.word` or a run of letters and digits at `position`.
  private func peekWord() -> String {
    var i = position
    if i < chars.count, chars[i] == "." { i += 1 }
    while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
    return String(chars[position..<i])
  }

  private func peek(_ s: String) -> Bool {
    let s = Array(s)
    return position + s.count <= chars.count && Array(chars[position..<position + s.count]) == s
  }

  private mutating func skipSpaces() {
    while position < chars.count, chars[position].isWhitespace { position += 1 }
  }

  private mutating func skipSeparators() {
    while position < chars.count, chars[position].isWhitespace || chars[position] == ";" { position += 1 }
  }

  /// Splits at `;` outside quotes, parentheses and braces (`.for`'s three parts).
  static func split(_ text: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var depth = 0
    var quote: Character?
    for c in text {
      if let q = quote {
        if c == q { quote = nil }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == "(" || c == "{" {
        depth += 1
      } else if c == ")" || c == "}" {
        depth -= 1
      } else if c == ";" && depth == 0 {
        parts.append(current.trimmingSpaces)
        current = ""
        continue
      }
      current.append(c)
    }
    parts.append(current.trimmingSpaces)
    return parts
  }
}

extension StatementScanner {
  /// `text` as a `"…"` string gives it back: `\` and `"` escaped (`.bpcmds`).
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
  }

  /// The `"…"` string starting at `open` (a breakpoint's commands): its text with `\"` and `\\` unescaped, and
  /// the index after its closing quote; nil when it is not closed.
  static func quotedString(_ chars: [Character], at open: Int) -> (text: String, end: Int)? {
    var text = ""
    var i = open + 1
    while i < chars.count {
      let c = chars[i]
      if c == "\\", i + 1 < chars.count, chars[i + 1] == "\"" || chars[i + 1] == "\\" {
        text.append(chars[i + 1])
        i += 2
        continue
      }
      if c == "\"" { return (text, i + 1) }
      text.append(c)
      i += 1
    }
    return nil
  }
}
