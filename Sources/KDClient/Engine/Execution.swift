/// Letting the target run and waiting for it to stop: shared by `g`, `p`, `t` and `.runfor`.
extension Session {
  /// Resumes the target and waits for the next break (Ctrl+C / the interrupt hook breaks in;
  /// the deadline gives up). Breakpoints with pass counts left are counted down and continued.
  func resumeAndWait(singleStep: Bool) throws(CommandError) -> BreakEvent {
    try insertPendingBreakpoints()
    if let c = contextOverride { try targetCall { () throws(TargetError) in try target.setContext(c, thread: nil) } }
    contextOverride = nil
    while true {
      try targetCall { () throws(TargetError) in try target.resume(singleStep: singleStep) }
      if !singleStep { onRunning() }
      let event = try waitForEvent()
      lastDisplay = nil
      nextUnassemble = nil
      // A `g` never ends in a single-step stop: one can only be the target stepping off a breakpoint
      // and reporting it, so go on.
      if !singleStep && event.kind == .singleStep { continue }
      if let id = breakpointID(for: event), var bp = breakpoints[id], bp.passes > 1, !singleStep {
        bp.passes -= 1
        breakpoints[id] = bp
        continue
      }
      if let id = breakpointID(for: event) {
        if var bp = breakpoints[id] {
          bp.passes = bp.initialPasses
          breakpoints[id] = bp
        }
      }
      return event
    }
  }

  /// Waits for the running target to stop, breaking in when interrupted; throws when the deadline passes.
  func waitForEvent(breakInAfter: Duration? = nil) throws(CommandError) -> BreakEvent {
    let clock = ContinuousClock()
    let breakInAt = breakInAfter.map { clock.now + $0 }
    var brokeIn = false
    while true {
      if !brokeIn, interruptRequested() || breakInAt.map({ clock.now >= $0 }) == true {
        try targetCall { () throws(TargetError) in try target.breakIn() }
        brokeIn = true
      }
      var slice: Duration = .milliseconds(100)
      if let deadline {
        let left = deadline - clock.now
        guard left > .zero else { throw .timedOut }
        slice = min(slice, left)
      }
      if let e = try targetCall({ () throws(TargetError) in try target.waitForBreak(timeout: slice) }) { return e }
    }
  }

  /// The software breakpoint at `address` (lowest ID first).
  func breakpointID(at address: UInt32) -> Int? {
    breakpoints.values.filter { $0.enabled && $0.processor == nil && $0.address == address }.map(\.id).min()
  }

  /// The breakpoint a stop is a hit of: a software one at the pc, or the processor breakpoint whose handle the
  /// event names. Nil for any other stop (or a breakpoint another debugger set).
  func breakpointID(for event: BreakEvent) -> Int? {
    switch event.kind {
    case .breakpoint: breakpointID(at: event.pc)
    case .dataBreakpoint:
      breakpoints.values.first { $0.enabled && $0.processor != nil && $0.handle == event.breakpointHandle }?.id
    default: nil
    }
  }
}
