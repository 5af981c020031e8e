import Foundation

/// `.logopen [/t] [File]`, `.logappend [File]`, `.logclose`: copy commands and output to a file.
enum Log: Command {
  static let names = [".logopen", ".logappend", ".logclose"]
  static let summary = ".logopen [/t] [File] | .logappend [File] | .logclose   log the session"

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
    if words.first?.lowercased() == "/t" {
      stamp = true
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
    session.log = try LogFile(path: path, append: append)
    lines.append("Opened log file '\(path)'")
    return TextOutput(lines)
  }

  private static func timestamp() -> String {
    var t = time(nil)
    var tm = tm()
    gmtime_r(&t, &tm)
    let two = { (v: Int32) in String(v).leftPadded(to: 2, with: "0") }
    return
      "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))_\(two(tm.tm_hour))-\(two(tm.tm_min))-\(two(tm.tm_sec))-000"
  }
}
