import Foundation

/// `.logopen [/t] [/u] [File]`, `.logappend [/u] [File]`, `.logclose`: copy commands and output to a file, each
/// line once. `/t` puts `_<pid, 4 hex digits>_<yyyy-mm-dd>_<hh-mm-ss-mmm>` (local time) before the extension, as
/// KD does; `/u` writes Unicode (UTF-16LE with a byte-order mark). `/d` (a name from the target) is not taken.
enum Log: Command {
  static let names = [".logopen", ".logappend", ".logclose"]
  static let summary = ".logopen [/t] [/u] [File] | .logappend [/u] [File] | .logclose   log the session"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let name = inv.name.lowercased()
    var lines: [String] = []
    if let old = session.log {
      old.close()
      session.log = nil
      lines.append("Closing open log file \(old.path)")
    }
    if name == ".logclose" { return TextOutput(lines) }
    var words = inv.arguments.split(separator: " ").map(String.init)
    var stamp = false
    var unicode = false
    while let option = words.first?.lowercased(), option.count == 2, option.hasPrefix("/") {
      switch option {
      case "/t" where name == ".logopen": stamp = true
      case "/u": unicode = true
      default: throw .syntax(position: inv.argumentsStart)
      }
      words.removeFirst()
    }
    guard words.count <= 1 else { throw .syntax(position: inv.argumentsStart) }
    var path = words.first ?? "Dbgeng.log"
    if stamp {
      let time = Self.timestamp()
      let dot = path.lastIndex(of: ".")
      let stem = dot.map { String(path[..<$0]) } ?? path
      let ext = dot.map { String(path[$0...]) } ?? ""
      path = stem + "_" + Hex.digits(UInt32(getpid()), width: 4).uppercased() + "_" + time + ext
    }
    let append = name == ".logappend"
    session.log = try LogFile(path: path, append: append, unicode: unicode)
    lines.append("Opened log file '\(path)'")
    return TextOutput(lines)
  }

  /// `2005-02-28_09-05-50-935`: the local date and time with milliseconds.
  static func timestamp(_ date: Date = Date()) -> String {
    let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
    var t = time_t(total / 1000)
    let millis = Int32(total % 1000)
    var tm = tm()
    localtime_r(&t, &tm)
    let two = { (v: Int32) in String(v).leftPadded(to: 2, with: "0") }
    return
      "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))_\(two(tm.tm_hour))-\(two(tm.tm_min))-\(two(tm.tm_sec))-"
      + String(millis).leftPadded(to: 3, with: "0")
  }
}
