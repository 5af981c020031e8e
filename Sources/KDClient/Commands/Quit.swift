/// `q` ends the session; `.detach` leaves the target running and ends the session.
enum Quit: Command {
  static let names = ["q", ".detach"]
  static let summary = "q | .detach   quit (the target keeps running after .detach)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var lines: [String] = []
    if inv.name.lowercased() == ".detach" {
      if session.currentEvent != nil {
        try session.targetCall { () throws(TargetError) in try session.target.resume(singleStep: false) }
      }
      lines.append("Detached")
    } else {
      lines.append("quit:")
    }
    session.log?.close()
    session.log = nil
    session.ended = true
    return TextOutput(lines)
  }
}
