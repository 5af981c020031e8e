import Foundation

/// `.lastevent`: the event that stopped the target (as its notification named it) and when the debugger received it.
enum LastEvent: Command {
  static let names = [".lastevent"]
  static let summary = ".lastevent   the last break event and when it arrived"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    try p.expectEnd()
    guard let last = session.lastEvent else { return TextOutput(["Last event: <no event>"]) }
    return TextOutput([
      "Last event: " + description(last.event, session: session),
      "  debugger time: \(VersionTarget.sessionTime(last.receivedAt)) (UTC + 0:00)",
    ])
  }

  /// The event as its notification named it: the exception line (a bug check's is the break instruction KD's
  /// banner shows after `*** Fatal System Error`), or `Hit breakpoint N` for one of ours.
  static func description(_ e: BreakEvent, session: Session) -> String {
    switch e.kind {
    case .bugCheck:
      return "Break instruction exception - code 80000003 (first chance)"
    case .breakpoint, .dataBreakpoint:
      if let id = session.breakpointID(for: e) { return "Hit breakpoint \(id)" }
      return BreakNotification(event: e, breakpointID: nil, location: []).exceptionLine
    case .exception, .breakIn, .singleStep:
      return BreakNotification(event: e, breakpointID: nil, location: []).exceptionLine
    }
  }
}
