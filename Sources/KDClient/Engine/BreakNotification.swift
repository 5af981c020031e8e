import Foundation

/// What KD prints when the target stops, built from the event's own data: the banner for its kind
/// (break-in box, `Breakpoint N hit`, exception line, bug-check block; nothing for `g Address`'s stop), then `symbol+0xoff:` and the
/// instruction at the stop.
struct BreakNotification: CommandOutput {
  var event: BreakEvent
  var breakpointID: Int?
  var location: [UnassembledLine]

  static let breakInBox = [
    "*******************************************************************************",
    "*                                                                             *",
    "*   You are seeing this message because you pressed either                    *",
    "*       CTRL+C (if you run console kernel debugger) or,                       *",
    "*       CTRL+BREAK (if you run GUI kernel debugger),                          *",
    "*   on your debugger machine's keyboard.                                      *",
    "*                                                                             *",
    "*                   THIS IS NOT A BUG OR A SYSTEM CRASH                       *",
    "*                                                                             *",
    "* If you did not intend to break into the debugger, press the \"g\" key, then   *",
    "* press the \"Enter\" key now.  This message might immediately reappear.  If it *",
    "* does, press \"g\" and \"Enter\" again.                                          *",
    "*                                                                             *",
    "*******************************************************************************",
  ]

  var lines: [String] {
    var out: [String] = []
    switch event.kind {
    case .breakpoint:
      // A breakpoint that is none of ours (the one-time breakpoint of `g Address`): KD prints only the
      // location and the instruction.
      if let breakpointID { out.append("Breakpoint \(breakpointID) hit") }
    case .dataBreakpoint:
      // One of our `ba` breakpoints, or another debugger's (a GDB client's watchpoint): the #DB exception then.
      out.append(breakpointID.map { "Breakpoint \($0) hit" } ?? exceptionLine)
    case .breakIn:
      out.append(exceptionLine)
      out.append(contentsOf: Self.breakInBox)
    case .exception:
      out.append(exceptionLine)
    case .singleStep:
      break
    case .bugCheck:
      let p = (event.parameters + [0, 0, 0, 0]).prefix(4).map { "0x" + Hex.d8($0).uppercased() }
      out.append("*** Fatal System Error: 0x\(Hex.d8(event.exceptionCode))")
      out.append("                       (\(p.joined(separator: ",")))")
      out.append("")
      out.append("Break instruction exception - code 80000003 (first chance)")
      out.append("")
      out.append("A fatal system error has occurred.")
      out.append("Debugger entered on first try; Bugcheck callbacks have not been invoked.")
      out.append("")
      out.append("A fatal system error has occurred.")
      out.append("")
    }
    if event.kind == .singleStep {
      out.append(contentsOf: Registers.Output.dump(event.context))
    }
    out.append(contentsOf: location.flatMap(\.lines))
    return out
  }

  var exceptionLine: String {
    let names: [UInt32: String] = [
      0x8000_0003: "Break instruction exception", 0x8000_0004: "Single step exception", 0xc000_0005: "Access violation",
      0xc000_001d: "Illegal instruction", 0xc000_0094: "Integer divide-by-zero", 0x8000_0001: "Guard page violation",
    ]
    let name = names[event.exceptionCode] ?? "Unknown exception"
    let chance = event.firstChance ? "(first chance)" : "(!!! second chance !!!)"
    return "\(name) - code \(Hex.d8(event.exceptionCode)) \(chance)"
  }

  enum CodingKeys: String, CodingKey { case event, breakpointID }
}

extension Session {
  func notification(for event: BreakEvent) throws(CommandError) -> BreakNotification {
    if lastEvent?.event != event { lastEvent = (event, Date()) }
    currentFrame = 0
    if let name = pendingUnload?.lowercased() {
      symbols = SymbolTable()
      modulesLoaded = false
      // A module list that cannot be read now is read again on first use; the notification goes on.
      try? ensureModules()
      if modulesLoaded,
        !symbols.modules.contains(where: { $0.imageName.lowercased() == name || $0.name.lowercased() == name })
      {
        pendingUnload = nil
      }
    }
    let location = try currentInstruction(at: event.pc, context: event.context)
    return BreakNotification(
      event: event, breakpointID: breakpointID(for: event), location: location)
  }
}
