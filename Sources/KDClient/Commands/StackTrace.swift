/// `k`, `kb`, `kv`, `kp`, with `n` (frame numbers) and a hex frame count: x86 layouts
/// (`ChildEBP RetAddr  Args to Child`). At a break the event's own stack is used (no round trip).
enum StackTrace: Command {
  static let names = ["k", "kb", "kv", "kp", "kn", "kbn", "kvn"]
  static let summary = "k[b|v|p][n] [FrameCount]   stack backtrace"

  static func matches(_ word: String) -> Bool {
    let w = word.lowercased()
    guard w.hasPrefix("k"), w != "kd" else { return false }
    return w.dropFirst().allSatisfy { "bpvnfcl".contains($0) } && w.dropFirst().filter { "bpv".contains($0) }.count <= 1
  }

  struct Output: CommandOutput {
    struct Frame: Codable, Sendable {
      @HexString var childEBP: UInt32
      @HexString var returnAddress: UInt32
      @HexString var args: [UInt32]
      @HexString var instructionPointer: UInt32
      var symbol: String
    }
    var style: Character?
    var numbered: Bool
    var frames: [Frame]

    var lines: [String] {
      // `kp` lists each function's parameters from private symbols (types and names); the target's symbols are
      // export-table names without types, so KD prints those frames as `k` does: no columns of arguments.
      let withArgs = style == "b" || style == "v"
      var header = withArgs ? "ChildEBP RetAddr  Args to Child" : "ChildEBP RetAddr"
      if numbered { header = " # " + header }
      var out = [header]
      for (i, f) in frames.enumerated() {
        var line = numbered ? Hex.digits(i, width: 2) + " " : ""
        line += "\(Hex.d8(f.childEBP)) \(Hex.d8(f.returnAddress)) "
        if withArgs {
          let args = (f.args + [0, 0, 0]).prefix(3)
          line += args.map(Hex.d8).joined(separator: " ") + " "
        }
        // `kv` adds FPO and calling-convention notes only from a PDB's frame data; symbols here come from the
        // target's export tables, which have none, so its frames read as `kb`'s (as KD's do for such modules).
        line += f.symbol
        out.append(line)
      }
      return out
    }
    enum CodingKeys: String, CodingKey { case numbered, frames }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let flags = inv.name.lowercased().dropFirst()
    let style = flags.first { "bpv".contains($0) }
    var p = inv.parser(session)
    var maxFrames = session.defaultFrameCount
    let explicitCount = !p.atEnd
    if !p.atEnd {
      let at = p.position
      let n = try p.parse()
      guard n > 0, n <= 0xffff else { throw .syntax(position: at) }
      maxFrames = Int(n)
      try p.expectEnd()
    }
    let frames = try self.frames(session, maxFrames: maxFrames, explicitCount: explicitCount)
    return Output(style: style, numbered: flags.contains("n"), frames: frames)
  }

  /// The frames of the current break's stack (the event's own when it has enough), symbolized.
  static func frames(_ session: Session, maxFrames: Int, explicitCount: Bool) throws(CommandError) -> [Output.Frame] {
    guard let event = session.currentEvent else { throw .target(.notHalted(operation: "k")) }
    var stack = event.stack
    // The event carries the top frames (32 by default); a longer explicit count asks the target.
    let truncated = explicitCount && maxFrames > stack.count && stack.count >= 32
    if stack.isEmpty || session.contextOverride != nil || truncated {
      stack = try session.targetCall { () throws(TargetError) in
        try session.target.stackTrace(thread: nil, maxFrames: maxFrames)
      }
    }
    var frames: [Output.Frame] = []
    for f in stack.prefix(maxFrames) {
      let symbol = try session.describe(f.instructionPointer) ?? "0x" + Hex.d8(f.instructionPointer)
      frames.append(
        .init(
          childEBP: f.childEBP, returnAddress: f.returnAddress, args: f.args, instructionPointer: f.instructionPointer,
          symbol: symbol))
    }
    return frames
  }
}
