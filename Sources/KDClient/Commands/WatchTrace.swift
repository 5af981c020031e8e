/// `wt [-l Depth] [-m Module] [-nc] [-ns] [-nw] [= StartAddress] [EndAddress]`: trace and watch. Single-steps the
/// target (one protocol round trip a step) from the current instruction until the current function returns (from
/// a `call` instruction: until that call returns), or until `EndAddress`, and prints KD's trace: a line each time
/// control leaves a function for another (`   11     0 [  0] Abc!AbcRequestWorker`: instructions the invocation
/// has executed itself and in its callees so far, the call depth, the function), then the totals, the per-function
/// table (`Function Name … Invocations MinInst MaxInst AvgInst`), the system calls (`int 2Eh` into nt's services)
/// and the register dump at the stop. `-nc` leaves out the call lines, `-ns` the summary; `-l` and `-m` (KD: user
/// mode only; ours in kernel mode) hide calls deeper than Depth and code outside Module (but its first-level
/// calls). Ctrl+C stops the trace.
enum WatchTrace: Command {
  static let names = ["wt"]
  static let summary = "wt [-l Depth] [-m Module] [-nc] [-ns] [= Start] [End]   trace a function, counting instructions"

  struct Output: CommandOutput {
    struct Call: Codable, Sendable {
      var own: Int
      var children: Int
      var depth: Int
      var function: String
    }
    struct FunctionStats: Codable, Sendable {
      var function: String
      var invocations: Int
      var minimum: Int
      var maximum: Int
      var total: Int
    }
    struct SystemCall: Codable, Sendable {
      var function: String
      var calls: Int
    }
    var function: String
    @HexString var returnAddress: UInt32
    var calls: [Call]
    var instructions: Int
    var summary: [FunctionStats]?
    var systemCalls: [SystemCall]
    var stop: BreakNotification

    var lines: [String] {
      var out = ["Tracing \(function) to return address \(Hex.d8(returnAddress))"]
      for c in calls {
        out.append(
          "\(String(c.own).leftPadded(to: 5)) \(String(c.children).leftPadded(to: 5)) [\(String(c.depth).leftPadded(to: 3))] "
            + String(repeating: "  ", count: c.depth) + c.function)
      }
      out += [
        "", "\(instructions) instructions were executed in \(max(instructions - 1, 0)) events (0 from other threads)",
      ]
      if let summary {
        out += ["", "Function Name".rightPadded(to: 44) + "Invocations MinInst MaxInst AvgInst"]
        for s in summary {
          let average = s.invocations > 0 ? s.total / s.invocations : 0
          out.append(
            s.function.rightPadded(to: 44) + String(s.invocations).leftPadded(to: 11)
              + [s.minimum, s.maximum, average].map { " " + String($0).leftPadded(to: 7) }.joined())
        }
        let n = systemCalls.reduce(0) { $0 + $1.calls }
        out += ["", n == 1 ? "1 system call was executed" : "\(n) system calls were executed"]
        if n > 0 {
          out += ["", "Calls  System Call"]
          out += systemCalls.map { "\(String($0.calls).leftPadded(to: 5))  \($0.function)" }
        }
      }
      return out + [""] + stop.lines
    }
    enum CodingKeys: String, CodingKey {
      case function, returnAddress, calls, instructions, summary, systemCalls, stop
    }
  }

  struct Options {
    var maxDepth: Int?
    var module: String?
    var showCalls = true
    var showSummary = true
  }

  /// One invocation on the traced call stack.
  private struct Frame {
    var function: String
    var own = 0
    var children = 0
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var options = Options()
    var start: UInt32?
    var end: UInt32?
    while true {
      p.skipSpaces()
      guard !p.atEnd else { break }
      let at = p.position
      if p.chars[p.position] == "-" {
        var word = ""
        p.position += 1
        while p.position < p.chars.count, p.chars[p.position].isLetter {
          word.append(p.chars[p.position])
          p.position += 1
        }
        switch word.lowercased() {
        case "l":
          let n = try p.parse()
          guard n <= 0xffff else { throw .syntax(position: at) }
          options.maxDepth = Int(n)
        case "m":
          p.skipSpaces()
          var name = ""
          while p.position < p.chars.count, p.chars[p.position] != " " {
            name.append(p.chars[p.position])
            p.position += 1
          }
          guard !name.isEmpty else { throw .syntax(position: at) }
          options.module = name
        case "nc": options.showCalls = false
        case "ns": options.showSummary = false
        case "nw": break
        default: throw .syntax(position: at)
        }
      } else if p.chars[p.position] == "=" {
        p.position += 1
        start = try p.parseAddress()
      } else {
        guard end == nil else { throw .syntax(position: at) }
        end = try p.parseAddress()
      }
    }
    if let start {
      var c = try session.currentContext()
      c.eip = start
      session.contextOverride = c
    }
    return try trace(session, end: end, options: options)
  }

  /// `module!function` for the function holding `address` (no offset), or the bare address.
  private static func functionName(_ session: Session, _ address: UInt32) throws(CommandError) -> String {
    guard let s = try session.describe(address) else { return Hex.d8(address) }
    return s.split(separator: "+").first.map(String.init) ?? s
  }

  static func trace(_ session: Session, end: UInt32?, options: Options) throws(CommandError) -> Output {
    var context = try session.currentContext()
    let first = try session.unassemble(context.eip, count: 1).lines.first
    let returnAddress: UInt32
    if let first, first.mnemonic == "call", let size = first.bytes?.count {
      returnAddress = context.eip &+ UInt32(size)
    } else {
      let slot = try GoUp.returnAddressSlot(context, session: session)
      guard let r = try session.readU32(slot) else {
        throw .message("wt: the return address at \(Hex.d8(slot)) is unreadable")
      }
      returnAddress = r
    }
    let traced = try functionName(session, context.eip)
    var stack = [Frame(function: traced)]
    var calls: [Output.Call] = []
    var stats: [String: Output.FunctionStats] = [:]
    var systemCalls: [String: Int] = [:]
    var instructions = 0

    func shown(_ depth: Int) -> Bool {
      guard options.showCalls else { return false }
      if let maxDepth = options.maxDepth, depth > maxDepth { return false }
      if let module = options.module {
        func inModule(_ i: Int) -> Bool { stack[i].function.lowercased().hasPrefix(module.lowercased() + "!") }
        return inModule(depth) || (depth > 0 && inModule(depth - 1))
      }
      return true
    }
    func emitTop() {
      let depth = stack.count - 1
      let f = stack[depth]
      if shown(depth) { calls.append(.init(own: f.own, children: f.children, depth: depth, function: f.function)) }
    }
    func record(_ f: Frame) {
      var s = stats[f.function] ?? .init(function: f.function, invocations: 0, minimum: .max, maximum: 0, total: 0)
      s.invocations += 1
      s.minimum = min(s.minimum, f.own)
      s.maximum = max(s.maximum, f.own)
      s.total += f.own
      stats[f.function] = s
    }

    // Ctrl+C is polled here, between steps: a step completes at once, so the wait for it must not turn the
    // interrupt into a break-in (which would race the step's own stop).
    let interrupted = session.interruptRequested
    session.interruptRequested = { false }
    defer { session.interruptRequested = interrupted }
    var stop: BreakEvent
    while true {
      if interrupted() { throw .cancelled }
      let eip = context.eip
      let insn = try session.unassemble(eip, count: 1).lines.first
      let event = try session.resumeAndWait(singleStep: true)
      stop = event
      instructions += 1
      stack[stack.count - 1].own += 1
      if insn?.mnemonic == "int", insn?.operands == "2eh" {
        systemCalls[stack[stack.count - 1].function, default: 0] += 1
      }
      guard event.kind == .singleStep else { break }
      context = event.context
      let next = event.pc
      if insn?.mnemonic == "call", let size = insn?.bytes?.count, next != eip &+ UInt32(size) {
        emitTop()
        stack.append(Frame(function: try functionName(session, next)))
      } else if insn?.mnemonic.hasPrefix("ret") == true {
        emitTop()
        let done = stack[stack.count - 1]
        record(done)
        if stack.count == 1 { break }
        stack.removeLast()
        stack[stack.count - 1].children += done.own + done.children
      } else if let name = try? functionName(session, next), name != stack[stack.count - 1].function {
        emitTop()
        record(stack[stack.count - 1])
        stack[stack.count - 1].function = name
      }
      if (stack.count == 1 && next == returnAddress) || next == end {
        emitTop()
        record(stack[stack.count - 1])
        break
      }
    }
    let summary = stats.values.sorted { Array($0.function.utf8).lexicographicallyPrecedes(Array($1.function.utf8)) }
    return Output(
      function: traced, returnAddress: returnAddress, calls: calls, instructions: instructions,
      summary: options.showSummary ? summary : nil,
      systemCalls: systemCalls.sorted { $0.key < $1.key }.map { .init(function: $0.key, calls: $0.value) },
      stop: try session.notification(for: stop))
  }
}
