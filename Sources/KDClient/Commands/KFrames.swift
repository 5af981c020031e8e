/// `.kframes [FrameCountDefault]`: the number of frames `k` shows when given no count.
enum KFrames: Command {
  static let names = [".kframes"]
  static let summary = ".kframes [FrameCount]   default stack trace depth"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    if !p.atEnd {
      let at = p.position
      let n = try p.parse()
      guard n > 0, n <= 0xffff else { throw .syntax(position: at) }
      try p.expectEnd()
      session.defaultFrameCount = Int(n)
    }
    return TextOutput(["Default stack trace depth is 0n\(session.defaultFrameCount) frames"])
  }
}
