/// `be IDs` / `bd IDs`: enable / disable breakpoints (a disabled one stays listed as `d` and is removed
/// from the target's code until enabled again). Silent on success.
enum BreakpointEnable: Command {
  static let names = ["be", "bd"]
  static let summary = "be|bd IDs|*   enable / disable breakpoints"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let enable = inv.name.lowercased() == "be"
    for id in try BreakpointIDList.parse(inv, existing: Array(session.breakpoints.keys)) {
      guard var bp = session.breakpoints[id], bp.enabled != enable else { continue }
      if enable, !bp.unresolved {
        bp.handle = try BreakpointSet.insertNow(bp, session)
      } else if let h = bp.handle {
        let current = bp
        try session.targetCall { () throws(TargetError) in try current.remove(handle: h, from: session.target) }
        bp.handle = nil
      }
      bp.enabled = enable
      session.breakpoints[id] = bp
    }
    return TextOutput()
  }
}
