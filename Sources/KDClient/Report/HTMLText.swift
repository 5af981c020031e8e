/// Text for HTML and SVG: everything that came from the target (tags, symbol names, command output) goes through
/// `escape` before it is placed in the page, in element text or in a quoted attribute alike.
enum HTMLText {
  /// `&`, `<`, `>`, `"` and `'` as character references; control characters other than tab, line feed and
  /// carriage return (which HTML does not allow in text) as U+FFFD.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        let v = scalar.value
        out.unicodeScalars.append(v < 0x20 || (0x7f...0x9f).contains(v) ? "\u{FFFD}" : scalar)
      }
    }
    return out
  }

  /// A number for an SVG attribute: at most two decimals, no exponent, no `-0`.
  static func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let hundredths = (value * 100).rounded()
    guard hundredths.magnitude < 1e15 else { return "0" }
    let n = Int64(hundredths)
    if n == 0 { return "0" }
    let sign = n < 0 ? "-" : ""
    let m = n.magnitude
    let whole = m / 100
    let frac = m % 100
    if frac == 0 { return "\(sign)\(whole)" }
    return frac % 10 == 0 ? "\(sign)\(whole).\(frac / 10)" : "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
  }
}
