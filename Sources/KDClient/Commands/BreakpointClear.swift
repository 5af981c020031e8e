/// `bc IDs`: removes breakpoints from the target and the list. Silent on success.
enum BreakpointClear: Command {
  static let names = ["bc"]
  static let summary = "bc IDs|*   clear breakpoints"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    for id in try BreakpointIDList.parse(inv, existing: Array(session.breakpoints.keys)) {
      guard let bp = session.breakpoints[id] else { continue }
      if let h = bp.handle {
        try session.targetCall { () throws(TargetError) in try bp.remove(handle: h, from: session.target) }
      }
      session.breakpoints[id] = nil
    }
    return TextOutput()
  }
}
