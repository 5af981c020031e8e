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
    session.scripting.runBreakpointCommands = { [unowned self] commands in self.runBreakpointCommands(commands) }
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

  /// Runs one command line: `;`-separated statements in order (commands, and KD's control flow tokens,
  /// comments and script files: Engine/ScriptSyntax.swift). An empty line repeats the last command
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
    var text = line
    if line.trimmingSpaces.isEmpty {
      guard let last = lastRepeatable else { return [] }
      text = last
    }
    return collectingResults(onResult) { logStart in
      _ = execute(
        SourceText(text: text, offset: 0),
        scope: ExecutionScope(onStart: {
          onStart?($0)
          logStart($0)
        }))
    }
  }

  /// Runs a script file's text (`--script`) line by line as `$<` does (a statement that spans lines runs
  /// whole); `onStart` sees each line as it starts; a failure names `path` and the line. With `keepResults`
  /// false, results only go to `onResult` (a long script's output is not held) and none are returned.
  @discardableResult
  public func runScript(
    _ text: String, path: String, keepResults: Bool = true, onResult: ((CommandResult) -> Void)? = nil,
    onStart: ((String) -> Void)? = nil
  ) -> [CommandResult] {
    let file = ScriptFile(path: path, text: text, aliases: AliasExpansion(values: [:]))
    return collectingResults(onResult, keep: keepResults) { logStart in
      _ = runUnits(of: file, scope: ExecutionScope(script: file)) {
        onStart?($0)
        logStart($0)
      }
    }
  }

  /// Runs `body` with every result (breakpoint hits that `g` runs through included) collected in order, shown
  /// to `onResult` as it comes, and written once to the open log; `body` gets the logger of typed commands.
  private func collectingResults(
    _ onResult: ((CommandResult) -> Void)?, keep: Bool = true,
    _ body: (_ logStart: @escaping (String) -> Void) -> Void
  ) -> [CommandResult] {
    var results: [CommandResult] = []
    let outerEmit = session.emit
    let outermost = session.scripting.runDepth == 0
    session.scripting.runDepth += 1
    session.emit = { [session] r in
      if outermost { session.log?.write(r.text) }
      if keep { results.append(r) }
      onResult?(r)
    }
    defer {
      session.emit = outerEmit
      session.scripting.runDepth -= 1
    }
    body { [session] command in
      if outermost { session.log?.write(session.prompt + command + "\n") }
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

  /// Runs one simple command (control flow is `execute`'s); the caller reports the result.
  func runOne(_ text: String) -> CommandResult {
    let trimmed = text.trimmingSpaces
    let inv = Invocation.split(trimmed)
    session.promptWidth = session.prompt.count
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
    return result
  }
}

extension Debugger {
  /// One PoolMon sample of the target's pool tags (memory reads only; the target may keep running).
  public func poolSnapshot(_ mon: inout PoolMon) throws(CommandError) -> PoolMonView {
    let entries = try PoolData.trackTable(session)
    return mon.sample(entries, targetTime: SystemIdentity.interruptTime(from: session.target))
  }
}
