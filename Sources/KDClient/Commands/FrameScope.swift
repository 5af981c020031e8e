/// `.frame [FrameNumber]`: selects a frame of the current stack (numbered as `kn` numbers them) and prints its
/// line in `kn`'s layout; without a number, the frame selected. Reset to 0 at every break. Symbols here carry no
/// locals, so the selection changes only what `.frame` prints.
enum FrameScope: Command {
  static let names = [".frame"]
  static let summary = ".frame [FrameNumber]   select and show a stack frame (kn numbering)"

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var number = session.currentFrame
    if !p.atEnd {
      let at = p.position
      let n = try p.parse()
      try p.expectEnd()
      guard n <= 0xffff else { throw .syntax(position: at) }
      number = Int(n)
    }
    let frames = try StackTrace.frames(session, maxFrames: max(number + 1, 1), explicitCount: true)
    guard number < frames.count else {
      throw .message("Cannot find frame 0x\(String(number, radix: 16)), previous scope unchanged")
    }
    session.currentFrame = number
    let frame = frames[number]
    return StackTrace.Output(style: nil, numbered: true, frames: [frame]).numberedLine(number)
  }
}

extension StackTrace.Output {
  /// Frame `number`'s line as `kn` prints it: `01 f714ee90 8057a123 leaky!LeakyAllocate+0xe`.
  func numberedLine(_ number: Int) -> TextOutput {
    guard let f = frames.first else { return TextOutput() }
    return TextOutput(["\(Hex.digits(number, width: 2)) \(Hex.d8(f.childEBP)) \(Hex.d8(f.returnAddress)) \(f.symbol)"])
  }
}
