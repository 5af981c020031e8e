import Foundation

/// `.time`: the debug session time, and the uptime KD would read from the target; the simulated kernel keeps no
/// tick count (`nt!KeTickCount` is reserved), so it is `not available`, as `vertarget` says.
enum Time: Command {
  static let names = [".time"]
  static let summary = ".time   debug session time (System Uptime: not available)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    return TextOutput([
      "Debug session time: \(VersionTarget.sessionTime(Date())) (UTC + 0:00)",
      "System Uptime: not available",
    ])
  }
}
