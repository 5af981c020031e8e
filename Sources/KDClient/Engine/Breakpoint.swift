/// A debugger breakpoint: KD's ID, where, whether enabled, and the target's handle while enabled. A processor
/// breakpoint (`ba`) has `processor` set; its handle is a data-breakpoint handle.
struct Breakpoint: Sendable, Equatable, Encodable {
  struct Processor: Sendable, Equatable, Encodable {
    var access: DataBreakpointAccess
    var size: UInt32
  }

  var id: Int
  var address: UInt32
  /// The expression as typed, for `bl`'s symbol column when it was symbolic.
  var expression: String
  var enabled: Bool
  var passes: Int
  var initialPasses: Int
  /// `;`-separated commands run at each hit (`"kb; g"`).
  var commands: String?
  var handle: UInt32?
  var processor: Processor?
  /// Set by `bu`/`bm`: KD keeps the symbolic expression and shows it in `.bpcmds` as `buN Expression;`.
  var symbolic = false
  /// The expression has not resolved yet (its module or symbol is not there): `bl` shows `u`, `address` means
  /// nothing, and the debugger tries again before each resume.
  var unresolved = false

  /// The end of a `bp`/`bu`/`bm`/`ba` command: `[Passes] ["CommandString"]`, then the end of the line.
  static func parsePassesAndCommands(_ p: inout ExpressionParser) throws(CommandError) -> (
    passes: Int, commands: String?
  ) {
    var passes = 1
    if !p.atEnd, p.chars[p.position] != "\"" {
      let at = p.position
      let n = try p.parse()
      guard n >= 1, n <= 0xffff_ffff else { throw .syntax(position: at) }
      passes = Int(n)
    }
    var commands: String?
    if !p.atEnd, p.chars[p.position] == "\"" {
      let open = p.position
      // `\"` inside the command string is a quote (KD's escaping; `.bpcmds` writes it so).
      guard let (text, end) = StatementScanner.quotedString(p.chars, at: open) else { throw .syntax(position: open) }
      commands = text.trimmingSpaces
      p.position = end
    }
    try p.expectEnd()
    return (passes, commands)
  }

  /// Puts it in the target; its handle.
  func insert(into target: any DebugTarget) throws(TargetError) -> UInt32 {
    guard let processor else { return try target.setBreakpoint(address) }
    return try target.setDataBreakpoint(address, size: processor.size, access: processor.access)
  }

  /// Takes it out of the target.
  func remove(handle: UInt32, from target: any DebugTarget) throws(TargetError) {
    if processor != nil { try target.removeDataBreakpoint(handle) } else { try target.removeBreakpoint(handle) }
  }
}

extension Session {
  /// The ID a new breakpoint gets (`bp`, `ba`): `requested`, whose breakpoint, if any, is taken out of the target
  /// first (`breakpoint N redefined`), or the first free one. Throws when all are taken.
  func takeBreakpointID(_ requested: Int?) throws(CommandError) -> (id: Int, notes: [String]) {
    let limit = BreakpointSet.limit
    var notes: [String] = []
    if let id = requested, let old = breakpoints[id] {
      notes.append("breakpoint \(id) redefined")
      if let h = old.handle {
        try targetCall { () throws(TargetError) in try old.remove(handle: h, from: target) }
      }
      breakpoints[id] = nil
    }
    let id = requested ?? (0..<limit).first { breakpoints[$0] == nil } ?? limit
    guard id < limit, breakpoints.count < limit else {
      throw .message("No more breakpoints available (the kernel debugger allows \(limit))")
    }
    return (id, notes)
  }
}
