import Foundation

/// `!pooltrace start [Tag] [alloc|free|both] [-n N]`, `!pooltrace stop`, `!pooltrace status`,
/// `!pooltrace save File` (ours; KD has no such command): a non-halting tag tracepoint. Where PoolHitTag stops
/// the target at every match, the target here logs each matching allocation or free (tag, size, address, pool,
/// thread, virtual time, stack) to a ring and streams it to this session while it keeps running. `save` writes what
/// was received: Chrome trace-event JSON for a `.json` file, folded stacks (`a;b;c N`) otherwise.
enum PoolTrace: Command {
  static let names = ["!pooltrace"]
  static let summary =
    "!pooltrace start [Tag] [alloc|free|both] [-n N] | stop | status | save File   tag tracepoint, no halt (ours)"

  struct Output: CommandOutput {
    enum Action: String, Codable, Sendable {
      case start, stop, status, save
    }
    var action: Action
    var state: PoolTraceState?
    var received: Int
    var lost: UInt64
    var pairing: PoolTraceRecording.Pairing?
    var file: String?
    var format: String?
    var written: Int?

    var lines: [String] {
      var out: [String] = []
      if let state {
        let what = [state.allocations ? "allocations" : nil, state.frees ? "frees" : nil].compactMap { $0 }
        let tag = state.tag == 0 ? "every tag" : "tag \(Ascii.tag(state.tag))"
        switch action {
        case .start:
          out.append(
            "Tracing \(what.joined(separator: " and ")) of \(tag)\(state.limit > 0 ? ", at most \(state.limit) events" : "")"
              + " (ours): the target logs each one without halting and streams it here")
        default:
          out.append(
            "Tag tracepoint (ours) \(state.active ? "running" : "stopped"): \(what.joined(separator: " and ")) of \(tag)"
              + (state.limit > 0 ? ", limit \(state.limit)" : ""))
        }
        if action != .start {
          out.append(
            " \(state.logged) events logged by the target, \(received) received here, \(lost) lost"
              + (state.dropped > 0 ? " (\(state.dropped) overwritten in the target's ring)" : ""))
        }
      }
      if let p = pairing, action != .start {
        out.append(
          " \(p.allocations) allocations, \(p.frees) frees: \(p.paired) freed during the trace, \(p.outstanding)"
            + " still outstanding, \(p.freedFromBefore) frees of blocks from before it, \(p.mismatched) unpaired")
      }
      if let file, let written, let format { out.append("Wrote \(written) \(format) to \(file)") }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let words = inv.arguments.split(separator: " ").map(String.init)
    guard let verb = words.first else { throw .message("usage: \(summary)") }
    switch verb {
    case "start": return try start(Array(words.dropFirst()), session)
    case "stop", "status":
      guard words.count == 1 else { throw .syntax(position: inv.argumentsStart) }
      let stopping = verb == "stop"
      let state = try session.targetCall { () throws(TargetError) in
        try session.target.poolTrace(stopping ? .stop : .status)
      }
      try collect(upTo: state.logged, session)
      if stopping {
        _ = try session.targetCall { () throws(TargetError) in try session.target.subscribePoolTrace(false) }
      }
      return Output(
        action: stopping ? .stop : .status, state: state, received: session.poolTrace.events.count,
        lost: state.logged > UInt64(session.poolTrace.events.count)
          ? state.logged - UInt64(session.poolTrace.events.count) : 0,
        pairing: state.allocations && state.frees ? session.poolTrace.pairing : nil)
    case "save":
      guard words.count == 2 else { throw .message("usage: !pooltrace save File (.json: Chrome trace events)") }
      session.poolTrace.absorb(session.target.takePoolTraceEvents())
      return try save(words[1], session)
    default:
      throw .message("\(verb): not a !pooltrace verb (start, stop, status, save)")
    }
  }

  private static func start(_ words: [String], _ session: Session) throws(CommandError) -> Output {
    var tag: UInt32 = 0
    var allocations = true
    var frees = true
    var limit: UInt32 = 0
    var rest = words[...]
    while let w = rest.popFirst() {
      switch w {
      case "alloc": (allocations, frees) = (true, false)
      case "free": (allocations, frees) = (false, true)
      case "both": (allocations, frees) = (true, true)
      case "-n":
        guard let n = rest.popFirst().flatMap({ UInt32($0) }), n > 0 else {
          throw .message("-n takes a number of events from 1 to \(UInt32.max)")
        }
        limit = n
      default:
        guard tag == 0, let value = TagSplitCommand.tagValue(w) else {
          throw .message("\(w): not a pool tag, alloc, free, both or -n N")
        }
        tag = value
      }
    }
    let state = try session.targetCall { () throws(TargetError) in
      _ = try session.target.subscribePoolTrace(true)
      _ = session.target.takePoolTraceEvents()
      return try session.target.poolTrace(.start(tag: tag, allocations: allocations, frees: frees, limit: limit))
    }
    session.poolTrace.reset()
    return Output(action: .start, state: state, received: 0, lost: 0)
  }

  /// Takes the streamed events until this session has accounted for `logged` of them. Events travel apart from
  /// replies, so the last ones may come after the reply that counted them: each status request lets them in
  /// (an embedded target's link is read only while a request waits); after 64 more they count as lost.
  private static func collect(upTo logged: UInt64, _ session: Session) throws(CommandError) {
    session.poolTrace.absorb(session.target.takePoolTraceEvents())
    var tries = 0
    while session.poolTrace.accounted < logged, tries < 64 {
      _ = try session.targetCall { () throws(TargetError) in try session.target.poolTrace(.status) }
      session.poolTrace.absorb(session.target.takePoolTraceEvents())
      tries += 1
    }
  }

  private static func save(_ file: String, _ session: Session) throws(CommandError) -> Output {
    var names: [UInt32: String] = [:]
    let name = { (address: UInt32) throws(CommandError) -> String in
      if let n = names[address] { return n }
      let n = try session.symbolOrAddress(address)
      names[address] = n
      return n
    }
    let events = session.poolTrace.events
    let data: Data
    let written: Int
    let format: String
    if file.lowercased().hasSuffix(".json") {
      data = try PoolTraceExport.chrome(events, name: name)
      (written, format) = (events.count, "events (Chrome trace-event JSON)")
    } else {
      let lines = try PoolTraceExport.folded(events, name: name)
      data = Data(lines.map { $0 + "\n" }.joined().utf8)
      (written, format) = (lines.count, "stacks (folded, weighted by allocations)")
    }
    guard FileManager.default.createFile(atPath: file, contents: data) else {
      throw .message("cannot write \(file)")
    }
    return Output(
      action: .save, state: nil, received: events.count, lost: session.poolTrace.lost, pairing: nil, file: file,
      format: format, written: written)
  }
}
