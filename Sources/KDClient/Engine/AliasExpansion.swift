/// The `${ }` alias interpreter over the aliases scripts define: a `$$>a<` script's arguments (`$arg1`…,
/// and `$n`, their count) and a `.foreach` variable. `${Name}` is the value; `${/d:Name}` 1 or 0 as the alias
/// is defined; `${/f:Name}` the value or nothing; `${/n:Name}` the name when defined; `${/v:Name}` stays as
/// written. An undefined alias keeps its text (`${$arg3}` with two arguments stays `${$arg3}`), as KD does.
struct AliasExpansion {
  var values: [String: String]

  /// The aliases of a `$$>a<` script: `$arg1`… and `$n`; nil arguments (the other script tokens) define none.
  static func scriptArguments(_ arguments: [String]?) -> AliasExpansion {
    guard let arguments else { return AliasExpansion(values: [:]) }
    var values = ["$n": String(arguments.count)]
    for (i, a) in arguments.enumerated() { values["$arg\(i + 1)"] = a }
    return AliasExpansion(values: values)
  }

  /// `text` with every `${…}` form expanded; with `bareWord`, also each occurrence of that alias's name that
  /// stands alone between spaces (a `.foreach` variable: "it must be surrounded by spaces").
  func expand(_ text: String, bareWord: String? = nil) -> String {
    let chars = Array(text)
    var out = ""
    var i = 0
    while i < chars.count {
      if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{",
        let close = chars[(i + 2)...].firstIndex(of: "}")
      {
        let inner = String(chars[(i + 2)..<close])
        let literal = String(chars[i...close])
        out += interpret(inner) ?? literal
        i = close + 1
        continue
      }
      if let word = bareWord, let value = values[word], Self.standsAlone(word, in: chars, at: i) {
        out += value
        i += word.count
        continue
      }
      out.append(chars[i])
      i += 1
    }
    return out
  }

  /// What `${inner}` becomes; nil keeps it as written.
  private func interpret(_ inner: String) -> String? {
    let parts = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2, parts[0].hasPrefix("/") else { return values[inner] }
    let name = parts[1]
    switch parts[0] {
    case "/d": return values[name] == nil ? "0" : "1"
    case "/f": return values[name] ?? ""
    case "/n": return values[name] == nil ? nil : name
    default: return nil
    }
  }

  private static func standsAlone(_ word: String, in chars: [Character], at i: Int) -> Bool {
    let w = Array(word)
    guard i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w else { return false }
    let separates = { (c: Character) in c.isWhitespace || c == ";" }
    let before = i == 0 || separates(chars[i - 1])
    let after = i + w.count == chars.count || separates(chars[i + w.count])
    return before && after
  }
}
