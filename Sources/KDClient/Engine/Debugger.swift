/// The debugger engine: runs KD command lines against a `DebugTarget` and returns structured results.
/// Used by the console, by scripts (`-c`, `--script`, `$<`) and from Swift code. Not thread-safe: drive
/// one `Debugger` from one thread (the interrupt hook may be called from anywhere).
public final class Debugger {
  let session: Session
  private var lastRepeatable: String?

  /// KD's longest command line.
  public static let maxLineLength = 4096

  /// Stop running the rest of a line (and a script) at the first failed command.
  public var stopOnError = false

  public init(target: DebugTarget) {
    session = Session(target: target)
    session.runLine = { [unowned self] line in self.run(line) }
  }

  /// `kd> `, or `N: kd> ` on a multiprocessor target.
  public var prompt: String { session.prompt }

  /// True after `q` or `.detach`.
  public var hasEnded: Bool { session.ended }

  public var target: DebugTarget { session.target }

  /// Polled while the target runs (after `g`, `p`, `t`): returning true breaks in (the console's Ctrl+C).
  public var interruptRequested: () -> Bool {
    get { session.interruptRequested }
    set { session.interruptRequested = newValue }
  }

  /// Long text output (`d*`) goes here as it is produced instead of into the result; nil (the default, and
  /// what `--json` uses) keeps every result whole.
  public var stream: ((String) -> Void)? {
    get { session.stream }
    set { session.stream = newValue }
  }

  /// Told each time a command lets the target run (`g`, `gu`, `.runfor`; not single steps), right after it
  /// resumed: `--json` prints its `running` event here.
  public var onRunning: () -> Void {
    get { session.onRunning }
    set { session.onRunning = newValue }
  }

  /// When waiting for a break gives up (scripts' `--timeout`); nil waits forever.
  public var deadline: ContinuousClock.Instant? {
    get { session.deadline }
    set { session.deadline = newValue }
  }

  /// Runs one command line: `;`-separated commands in order. An empty line repeats the last command
  /// that KD repeats (`d*`, `u`, `p`, `t`), continuing where it stopped. `onResult` sees each result as
  /// soon as its command finishes (a console prints it before `g` of the same line waits); `onStart` sees
  /// each command as it starts.
  public func run(
    _ line: String, onResult: ((CommandResult) -> Void)? = nil, onStart: ((String) -> Void)? = nil
  ) -> [CommandResult] {
    guard line.count <= Self.maxLineLength else {
      let message = "Command line too long (\(line.count) characters; KD takes at most \(Self.maxLineLength))"
      let r = CommandResult(command: String(line.prefix(64)), output: nil, error: message, failure: .message(message))
      onResult?(r)
      return [r]
    }
    var commands = Self.splitCommands(line)
    if line.trimmingSpaces.isEmpty {
      guard let last = lastRepeatable else { return [] }
      commands = [last]
    }
    var results: [CommandResult] = []
    // Results produced inside a command (breakpoint hits `g` runs through) come out in order.
    let outerEmit = session.emit
    session.emit = { r in
      results.append(r)
      onResult?(r)
    }
    defer { session.emit = outerEmit }
    for command in commands {
      onStart?(command)
      let r = runOne(command)
      results.append(r)
      onResult?(r)
      if session.ended || (!r.succeeded && (stopOnError || r.endsTheLine)) { break }
    }
    return results
  }

  /// Waits for the target to stop (after attaching to a running target, or a `-b` break-in) and renders
  /// KD's break notification; nil when `timeout` passes first.
  public func waitForBreak(timeout: Duration?) throws(TargetError) -> CommandResult? {
    guard let event = try session.target.waitForBreak(timeout: timeout) else { return nil }
    return notification(event)
  }

  /// Lets a halted target run without waiting for its next break (the console's live PoolMon); register
  /// edits made at this break are sent first.
  public func resumeDetached() throws(CommandError) {
    if let c = session.contextOverride {
      try session.targetCall { () throws(TargetError) in try session.target.setContext(c, thread: nil) }
    }
    session.contextOverride = nil
    try session.targetCall { () throws(TargetError) in try session.target.resume(singleStep: false) }
  }

  /// Breaks into a running target and waits for the stop.
  public func breakIn(timeout: Duration? = .seconds(10)) throws(TargetError) -> CommandResult? {
    try session.target.breakIn()
    return try waitForBreak(timeout: timeout)
  }

  /// KD's notification for a break event that arrived outside a command.
  public func notification(_ event: BreakEvent) -> CommandResult {
    session.contextOverride = nil
    do {
      let n = try session.notification(for: event)
      return CommandResult(command: "", output: n, error: nil, event: event, eventLines: [])
    } catch {
      return CommandResult(
        command: "", output: nil, error: error.render(line: "", promptWidth: 0), event: event, eventLines: [])
    }
  }

  private func runOne(_ text: String) -> CommandResult {
    let trimmed = text.trimmingSpaces
    let inv = Invocation.split(trimmed)
    session.promptWidth = session.prompt.count
    session.log?.write(session.prompt + trimmed + "\n")
    // Streamed output goes to the log as it is shown.
    let outerStream = session.stream
    if let outerStream, let log = session.log {
      session.stream = {
        outerStream($0)
        log.write($0)
      }
    }
    defer { session.stream = outerStream }
    let result: CommandResult
    if trimmed.hasPrefix("$$") {
      result = CommandResult(command: trimmed, output: TextOutput(), error: nil, event: nil, eventLines: [])
    } else if let command = CommandRegistry.command(for: inv.name) {
      if command.repeatsOnEnter { lastRepeatable = inv.name } else { lastRepeatable = nil }
      do {
        let output = try command.run(inv, in: session)
        let event = (output as? BreakNotification)?.event
        result = CommandResult(command: trimmed, output: output, error: nil, event: event, eventLines: [])
      } catch {
        result = CommandResult(
          command: trimmed, output: nil, error: error.render(line: trimmed, promptWidth: session.promptWidth),
          failure: error)
      }
    } else {
      let chars = Array(trimmed)
      let position = inv.name.isEmpty ? 0 : min(inv.name.count - 1, chars.count)
      let at = inv.name.hasPrefix("!") || inv.name.hasPrefix(".") ? 0 : position
      let message: String =
        inv.name.hasPrefix("!")
        ? "No export \(inv.name.dropFirst()) found"
        : CommandError.syntax(position: at).render(line: trimmed, promptWidth: session.promptWidth)
      result = CommandResult(command: trimmed, output: nil, error: message, event: nil, eventLines: [])
    }
    if let log = session.log { log.write(result.text) }
    return result
  }

  /// Splits on `;` outside quotes.
  static func splitCommands(_ line: String) -> [String] {
    var out: [String] = []
    var current = ""
    var quote: Character?
    for c in line {
      if let q = quote {
        if c == q { quote = nil }
        current.append(c)
      } else if c == "\"" || c == "'" {
        quote = c
        current.append(c)
      } else if c == ";" {
        out.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    out.append(current)
    return out.map(\.trimmingSpaces).filter { !$0.isEmpty }
  }
}

extension Debugger {
  /// One PoolMon sample of the target's pool tags (memory reads only; the target may keep running).
  public func poolSnapshot(_ mon: inout PoolMon) throws(CommandError) -> PoolMonView {
    let entries = try PoolData.trackTable(session)
    return mon.sample(entries, targetTime: SystemIdentity.interruptTime(from: session.target))
  }
}
