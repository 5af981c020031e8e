/// KD's text patterns (`x`, `lm m`, `!poolused` tags): `*` any run, `?` one character; optionally
/// case-insensitive. In symbol patterns a leading `_` matches any number of underscores.
struct Wildcard: Sendable {
  private let pattern: [Character]
  private let caseInsensitive: Bool

  init(_ pattern: String, caseInsensitive: Bool) {
    self.pattern = Array(caseInsensitive ? pattern.lowercased() : pattern)
    self.caseInsensitive = caseInsensitive
  }

  var hasWildcards: Bool { pattern.contains("*") || pattern.contains("?") }

  func matches(_ text: String) -> Bool {
    let t = Array(caseInsensitive ? text.lowercased() : text)
    return Self.match(pattern[...], t[...])
  }

  private static func match(_ p: ArraySlice<Character>, _ t: ArraySlice<Character>) -> Bool {
    var p = p
    var t = t
    // Iterative matcher with single backtrack point for `*`.
    var star: (ArraySlice<Character>, ArraySlice<Character>)?
    while true {
      if let pc = p.first {
        if pc == "*" {
          p = p.dropFirst()
          star = (p, t)
          continue
        }
        if let tc = t.first, pc == "?" || pc == tc {
          p = p.dropFirst()
          t = t.dropFirst()
          continue
        }
      } else if t.isEmpty {
        return true
      }
      guard let (sp, st) = star, !st.isEmpty else { return false }
      p = sp
      t = st.dropFirst()
      star = (sp, t)
    }
  }
}
