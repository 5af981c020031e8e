import Foundation

/// `vertarget`: the target's version, as KD prints it (the connection banner's kernel lines with the product and
/// build lab read from the target, then the session time and the uptime from KUSER_SHARED_DATA's InterruptTime).
/// The simulated kernel has no machine name.
enum VersionTarget: Command {
  static let names = ["vertarget"]
  static let summary = "vertarget   target version, kernel base and module list head"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let version = try session.targetCall { () throws(TargetError) in try session.target.version() }
    let identity = SystemIdentity.read(from: session.target, version: version)
    var lines = Array(ConnectBanner(version, identity: identity).lines.dropFirst(2))
    lines.insert("Machine Name:", at: lines.count - 1)
    lines.append("Debug session time: \(sessionTime(Date())) (UTC + 0:00)")
    lines.append(identity.uptimeLine)
    return TextOutput(lines)
  }

  /// `Sat Nov 28 10:22:10.123 2026`, in UTC; a one-digit day is padded with a space as KD pads it (`Tue Dec  1`).
  static func sessionTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "EEE MMM d HH:mm:ss.SSS yyyy"
    var fields = formatter.string(from: date).split(separator: " ").map(String.init)
    if fields.count == 5 { fields[2] = fields[2].leftPadded(to: 2) }
    return fields.joined(separator: " ")
  }
}
