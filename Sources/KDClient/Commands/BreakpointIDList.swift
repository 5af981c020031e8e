/// The breakpoint-list argument shared by `bc`, `bd`, `be`: IDs separated by spaces or commas, ranges
/// `1-3`, `*` for all.
enum BreakpointIDList {
  static func parse(_ inv: Invocation, existing: [Int]) throws(CommandError) -> [Int] {
    let chars = Array(inv.line)
    var i = inv.argumentsStart
    var ids: [Int] = []
    func number() -> Int? {
      let start = i
      while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
      return i > start ? Int(String(chars[start..<i])) : nil
    }
    while i < chars.count {
      let c = chars[i]
      if c == " " || c == "," {
        i += 1
      } else if c == "*" {
        ids.append(contentsOf: existing)
        i += 1
      } else if let a = number() {
        if i < chars.count, chars[i] == "-" {
          i += 1
          guard let b = number(), b >= a, b - a < 1024 else { throw .syntax(position: i) }
          ids.append(contentsOf: a...b)
        } else {
          ids.append(a)
        }
      } else {
        throw .syntax(position: i)
      }
    }
    guard !ids.isEmpty else { throw .syntax(position: inv.argumentsStart) }
    return ids
  }
}
