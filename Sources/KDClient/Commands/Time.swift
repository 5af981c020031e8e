import Foundation

/// `.time`: the debug session time, and the uptime read from the target (KUSER_SHARED_DATA's InterruptTime), as
/// `vertarget` prints it.
enum Time: Command {
  static let names = [".time"]
  static let summary = ".time   debug session time and system uptime"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    let version = try session.version()
    return TextOutput([
      "Debug session time: \(VersionTarget.sessionTime(Date())) (UTC + 0:00)",
      SystemIdentity.read(from: session.target, version: version).uptimeLine,
    ])
  }
}
