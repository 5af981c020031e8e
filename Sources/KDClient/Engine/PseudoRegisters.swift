/// KD's pseudo-registers on this x86 target (Microsoft's "Pseudo-Register Syntax"): the user-defined `$t0`–`$t19`
/// (integer variables, 0 until set with `r $t0 = …`), and the automatic ones computed from the current break
/// and target memory: `$ip` (eip), `$ra` (the return address of the current frame, from the stack walk),
/// `$csp` (esp), `$retreg` (eax), `$thread` (the current KTHREAD, read from the KPCR's `KPRCB.CurrentThread`
/// at `ffdff124`), `$proc` (that thread's `ApcState.Process`, KTHREAD+0x44 on XP x86) and `$bp<N>` (the address
/// of breakpoint N, 0 when there is none). Each may be written with `@` (`@$t0`) or without.
struct PseudoRegisters {
  static let userCount = 20
  /// KD's KPCR on x86 (processor 0) and the offsets it reads there.
  static let currentThreadPointer: UInt32 = 0xffdf_f124
  static let kthreadProcessOffset: UInt32 = 0x44

  private var user = [UInt32](repeating: 0, count: userCount)

  /// The index of `$t<N>` in 0..<20, for a lowercased name.
  static func userIndex(_ name: String) -> Int? {
    guard name.hasPrefix("$t"), let n = Int(name.dropFirst(2)), name.count <= 4, (0..<userCount).contains(n) else {
      return nil
    }
    return n
  }

  subscript(index: Int) -> UInt32 {
    get { user[index] }
    set { user[index] = newValue }
  }

  /// Whether `name` (lowercased, with its `$`) is one of ours.
  static func isPseudoRegister(_ name: String) -> Bool {
    userIndex(name) != nil || ["$ip", "$ra", "$csp", "$retreg", "$thread", "$proc"].contains(name)
      || breakpointID(name) != nil
  }

  /// N of `$bp<N>` (decimal, `$bp03` too).
  static func breakpointID(_ name: String) -> Int? {
    guard name.hasPrefix("$bp"), name.count > 3, name.count <= 8 else { return nil }
    return Int(name.dropFirst(3))
  }
}

extension Session {
  /// The value of a pseudo-register (lowercased name with its `$`); nil when `name` is not one. Those of the
  /// current break need a halted target.
  func pseudoRegister(_ name: String) throws(CommandError) -> UInt32? {
    if let i = PseudoRegisters.userIndex(name) { return pseudoRegisters[i] }
    if let id = PseudoRegisters.breakpointID(name) { return breakpoints[id]?.address ?? 0 }
    switch name {
    case "$ip": return try currentContext().eip
    case "$csp": return try currentContext().esp
    case "$retreg": return try currentContext().eax
    case "$ra":
      let frames = try StackTrace.frames(self, maxFrames: 1, explicitCount: false)
      guard let frame = frames.first else { throw .message("No stack frame for $ra") }
      return frame.returnAddress
    case "$thread": return try currentThread()
    case "$proc":
      let thread = try currentThread()
      let (at, overflow) = thread.addingReportingOverflow(PseudoRegisters.kthreadProcessOffset)
      guard !overflow, let process = try readU32(at) else {
        throw .message("Unable to read KTHREAD.ApcState.Process at \(Hex.d8(at))")
      }
      return process
    default: return nil
    }
  }

  private func currentThread() throws(CommandError) -> UInt32 {
    guard let thread = try readU32(PseudoRegisters.currentThreadPointer) else {
      throw .message("Unable to read KPRCB.CurrentThread at \(Hex.d8(PseudoRegisters.currentThreadPointer))")
    }
    return thread
  }
}

extension Registers {
  /// `r $t0 = Expression[, $t1 = …]`, `r @$t0`, `r $ra`: `r` on pseudo-registers (its first argument is always a
  /// register, so `$t0` needs no `@`, though `@` is taken). Nil when the first name is not a pseudo-register
  /// (plain `r` handles it). Only `$t0`–`$t19` can be set; they need no halted target.
  static func pseudoRegisters(_ inv: Invocation, in session: Session) throws(CommandError) -> Output? {
    var p = inv.parser(session)
    var shown: [Output.Named] = []
    var first = true
    while !p.atEnd {
      let at = p.position
      if p.chars[p.position] == "@" { p.position += 1 }
      var name = ""
      while p.position < p.chars.count,
        p.chars[p.position] == "$" && name.isEmpty
          || name.hasPrefix("$")
            && (p.chars[p.position].isLetter || p.chars[p.position].isNumber)
      {
        name.append(p.chars[p.position])
        p.position += 1
      }
      name = name.lowercased()
      guard PseudoRegisters.isPseudoRegister(name) else {
        if first { return nil }
        throw .badRegister(position: at)
      }
      first = false
      p.skipSpaces()
      if p.position < p.chars.count, p.chars[p.position] == "=" {
        p.position += 1
        guard let index = PseudoRegisters.userIndex(name) else { throw .badRegister(position: at) }
        session.pseudoRegisters[index] = UInt32(truncatingIfNeeded: try p.parse())
      } else {
        guard let value = try session.pseudoRegister(name) else { throw .badRegister(position: at) }
        shown.append(.init(name: name, value: value))
      }
      p.skipSpaces()
      if p.position < p.chars.count, p.chars[p.position] == "," { p.position += 1 }
    }
    if first { return nil }
    return Output(context: nil, values: shown, instruction: [])
  }
}
