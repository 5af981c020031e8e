import Foundation

/// `.reboot`: restarts the target (boot re-reads NtGlobalFlag); modules and breakpoints are forgotten.
enum Reboot: Command {
  static let names = [".reboot"]
  static let summary = ".reboot   restart the target"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    try session.targetCall { () throws(TargetError) in try session.target.reboot() }
    session.invalidateTargetState()
    session.breakpoints = [:]
    return TextOutput([
      "Shutdown occurred at (\(Self.now()))...unloading all symbol tables.", "Waiting to reconnect...",
    ])
  }

  private static func now() -> String {
    var t = time(nil)
    var buf = [CChar](repeating: 0, count: 32)
    ctime_r(&t, &buf)
    return String(decoding: buf.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
