/// `ub [Address] [L Count]`: the `Count` instructions (8 by default) that end exactly at `Address` (default: the
/// current instruction), in `u`'s layout. x86 code cannot be read backwards, so every byte before the address
/// is tried as a start: the decodes that run into the address exactly are chains, and the longest chain (the
/// one that has stayed in step with the instruction stream from farthest back) gives the instructions shown.
enum UnassembleBackward: Command {
  static let names = ["ub"]
  static let summary = "ub [Address] [L Count]   unassemble the instructions that end at Address"
  /// Most instructions one `ub` shows.
  static let maxCount = 0x400

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var end: UInt32?
    var count = 8
    if !p.atEnd, !p.peekRangeCount { end = try p.parseAddress() }
    if !p.atEnd {
      let at = p.position
      // KD's `ub` takes `Address L Count` only, not an address pair.
      guard p.peekRangeCount else { throw .syntax(position: at) }
      p.position += 1
      let n = try p.parse()
      guard n > 0, n <= UInt64(maxCount) else { throw .syntax(position: at) }
      count = Int(n)
    }
    try p.expectEnd()
    let address: UInt32
    if let end { address = end } else { address = try session.currentContext().eip }
    guard let start = try chainStart(endingAt: address, count: count, session: session) else {
      let error = CommandError.memoryAccess(
        position: inv.argumentsStart + inv.line.dropFirst(inv.argumentsStart).prefix { $0 == " " }.count
      ).render(line: inv.line, promptWidth: session.promptWidth)
      return Unassemble.Output(instructions: [], memoryError: error)
    }
    let r = try session.unassemble(start, count: count)
    session.nextUnassemble = address
    return Unassemble.Output(instructions: r.lines, memoryError: nil)
  }

  /// Where the last `count` instructions of the longest decode chain ending exactly at `address` start; nil when no
  /// decode of the bytes before it ends there (unreadable or not code).
  static func chainStart(endingAt address: UInt32, count: Int, session: Session) throws(CommandError) -> UInt32? {
    // Enough bytes for `count` of the longest instructions, and as many again to fall into step.
    let back = Int(min(UInt32(count * 15 * 2), address))
    guard back > 0 else { return nil }
    let base = address - UInt32(back)
    let window = try session.readBytes(base, count: back)
    // length[i]: the decoded length of the instruction at base+i (0: none); chain[i]: how many instructions the
    // linear decode from base+i takes to end exactly at `address` (0: it does not).
    var length = [Int](repeating: 0, count: back)
    var chain = [Int](repeating: 0, count: back + 1)
    chain[back] = 0
    for i in stride(from: back - 1, through: 0, by: -1) {
      let raw = window[i..<min(i + 15, back)]
      let readable = Array(raw.prefix { $0 != nil }.map { $0! })
      guard let insn = session.disassembler.decode(readable, at: base &+ UInt32(i)) else { continue }
      let next = i + insn.bytes.count
      guard next <= back else { continue }
      if next == back {
        chain[i] = 1
      } else if chain[next] > 0 {
        chain[i] = chain[next] + 1
      }
      length[i] = insn.bytes.count
    }
    // The longest chain (ties: the one from farthest back), then its last `count` instructions.
    var best: Int?
    for i in 0..<back where chain[i] > 0 {
      if best.map({ chain[i] > chain[$0] }) ?? true { best = i }
    }
    guard var i = best else { return nil }
    while chain[i] > count { i += length[i] }
    return base &+ UInt32(i)
  }
}
