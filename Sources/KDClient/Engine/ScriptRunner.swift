/// How control leaves a statement or a block.
enum Flow: Equatable {
  case next
  case breakLoop
  case continueLoop
  /// A command in a block failed: the block (and the blocks around it) end; a line or script goes on.
  case failed
  /// Nothing more runs: `q`, a lost connection, `--timeout`, Ctrl+C, `--stop-on-error`, or a breakpoint's
  /// commands resuming the target (`g`, `gc`).
  case halt
}

/// The session's scripting state: how deep scripts nest, and whether a breakpoint's commands are running
/// (where `g` and `gc` resume the `g` that hit it).
struct ScriptingState {
  static let maxScriptDepth = 32
  /// Blocks, `j` commands and scripts nest at most this deep (a script file's braces are untrusted input: a
  /// deeper program is refused rather than run into the stack's end).
  static let maxBlockDepth = 200
  var scriptDepth = 0
  var blockDepth = 0
  var runDepth = 0
  var runningBreakpointCommands = false
  var resumeRequested = false
  /// Runs a breakpoint's command string at its hit; true when it resumed (set by `Debugger`).
  var runBreakpointCommands: ((String) -> Bool)?
}

/// Where the text being run came from: the script (for `file:line` in errors), whether it is a block (a
/// failure ends it), and, for the typed line itself, who hears of each statement as it starts.
struct ExecutionScope {
  var script: ScriptFile?
  var inBlock = false
  var onStart: ((String) -> Void)?

  var block: ExecutionScope { ExecutionScope(script: script, inBlock: true, onStart: nil) }
}

/// `$<`'s and `$><`'s echo of a script line after the prompt (`$$>a<` echoes nothing), as KD shows it.
struct ScriptEcho: CommandOutput {
  var echo: String
  var lines: [String] { [echo] }
}

extension Debugger {
  /// Runs `source` statement by statement (control flow included) and reports each command's result
  /// through the session's emitter.
  func execute(_ source: SourceText, scope: ExecutionScope) -> Flow {
    guard session.scripting.blockDepth < ScriptingState.maxBlockDepth else {
      let message = "Blocks nest too deeply (at most \(ScriptingState.maxBlockDepth) levels)"
      report(
        CommandResult(command: source.text, output: nil, error: message, failure: .message(message)),
        at: source.offset, scope)
      return .failed
    }
    session.scripting.blockDepth += 1
    defer { session.scripting.blockDepth -= 1 }
    var scanner = StatementScanner(source)
    while true {
      let item: (statement: Statement, text: String, offset: Int)?
      do {
        item = try scanner.next()
      } catch {
        let text = scanner.rest(from: error.start).trimmingSpaces
        session.promptWidth = session.prompt.count
        report(
          CommandResult(
            command: text, output: nil,
            error: CommandError.syntax(position: error.position - error.start).render(
              line: text, promptWidth: session.promptWidth),
            failure: .syntax(position: error.position - error.start)), at: source.offset + error.start, scope)
        return scope.inBlock ? .failed : (stopOnError ? .halt : .next)
      }
      guard let (statement, text, offset) = item else { return .next }
      scope.onStart?(text)
      switch run(statement, text: text, offset: offset, scope: scope) {
      case .next: continue
      case .failed:
        if scope.inBlock { return .failed }
        if stopOnError { return .halt }
      case .halt: return .halt
      case .breakLoop: if scope.inBlock { return .breakLoop }
      case .continueLoop: if scope.inBlock { return .continueLoop }
      }
    }
  }

  private func run(_ statement: Statement, text: String, offset: Int, scope: ExecutionScope) -> Flow {
    switch statement {
    case .comment:
      return .next
    case .command(let command):
      let word = Invocation.split(command)
      if session.scripting.runningBreakpointCommands, ["g", "gc"].contains(word.name.lowercased()),
        word.arguments.isEmpty
      {
        session.scripting.resumeRequested = true
        return .halt
      }
      let r = runOne(command)
      report(r, at: offset, scope)
      if session.ended || r.endsTheLine || (!r.succeeded && stopOnError) { return .halt }
      return r.succeeded ? .next : .failed
    case .conditional(let branches, let otherwise):
      for branch in branches {
        guard let v = evaluate(branch.condition, text: text, offset: offset, scope) else { return .failed }
        if v != 0 { return execute(branch.body, scope: scope.block) }
      }
      return otherwise.map { execute($0, scope: scope.block) } ?? .next
    case .whileLoop(let condition, let body):
      return loop(text, offset, scope, body: body) {
        evaluate(condition, text: text, offset: offset, scope)
      }
    case .forLoop(let initial, let condition, let increment, let body):
      let initialFlow = execute(SourceText(text: initial, offset: offset), scope: scope.block)
      guard initialFlow == .next else { return initialFlow == .halt ? .halt : .failed }
      var first = true
      return loop(text, offset, scope, body: body) {
        if !first {
          guard execute(SourceText(text: increment, offset: offset), scope: scope.block) == .next else { return nil }
        }
        first = false
        return condition.trimmingSpaces.isEmpty ? 1 : evaluate(condition, text: text, offset: offset, scope)
      }
    case .foreach(let spec):
      return foreach(spec, text: text, offset: offset, scope: scope)
    case .block(let body):
      return execute(body, scope: scope.block)
    case .breakLoop:
      return .breakLoop
    case .continueLoop:
      return .continueLoop
    case .executeIf(let rest):
      return executeIf(rest, text: text, offset: offset, scope: scope)
    case .script(let invocation):
      return runScript(invocation, text: text, offset: offset, scope: scope)
    }
  }

  /// Runs `body` while `condition` gives nonzero (nil: it failed, and so does the loop). Ctrl+C (the
  /// session's interrupt hook) is the only way out of a loop that never ends, as in KD.
  private func loop(
    _ text: String, _ offset: Int, _ scope: ExecutionScope, body: SourceText, condition: () -> UInt64?
  ) -> Flow {
    while true {
      if let stop = cancelled(text, offset, scope) { return stop }
      guard let v = condition() else { return .failed }
      if v == 0 { return .next }
      switch execute(body, scope: scope.block) {
      case .breakLoop: return .next
      case .failed: return .failed
      case .halt: return .halt
      case .next, .continueLoop: continue
      }
    }
  }

  /// Ctrl+C pressed: `^C` and nothing more runs.
  private func cancelled(_ text: String, _ offset: Int, _ scope: ExecutionScope) -> Flow? {
    guard session.interruptRequested() else { return nil }
    report(
      CommandResult(
        command: text, output: nil, error: CommandError.cancelled.render(line: text, promptWidth: 0),
        failure: .cancelled), at: offset, scope)
    return .halt
  }

  /// A condition's value; nil (after reporting the error) when it does not evaluate.
  private func evaluate(_ condition: String, text: String, offset: Int, _ scope: ExecutionScope) -> UInt64? {
    do throws(CommandError) {
      var p = ExpressionParser(condition, context: session)
      let v = try p.parse()
      try p.expectEnd()
      return v
    } catch {
      report(
        CommandResult(
          command: text, output: nil, error: error.render(line: condition, promptWidth: 0), failure: error),
        at: offset, scope)
      return nil
    }
  }

  /// `j Expression Command1 ; Command2`: either command may be in single quotes (then it may hold `;`); what
  /// follows Command2's `;` is ignored.
  private func executeIf(_ rest: String, text: String, offset: Int, scope: ExecutionScope) -> Flow {
    var p = ExpressionParser(rest, context: session)
    let value: UInt64
    do throws(CommandError) {
      value = try p.parse()
    } catch {
      report(
        CommandResult(command: text, output: nil, error: error.render(line: rest, promptWidth: 0), failure: error),
        at: offset, scope)
      return .failed
    }
    let (first, second) = Self.executeIfCommands(p.rest)
    let chosen = value != 0 ? first : second
    return execute(SourceText(text: chosen, offset: offset), scope: scope.block)
  }

  /// `j`'s two commands from the text after its expression.
  static func executeIfCommands(_ text: String) -> (String, String) {
    var chars = Substring(text)
    func take() -> String {
      while let c = chars.first, c == " " || c == "\t" { chars = chars.dropFirst() }
      if chars.first == "'" {
        let body = chars.dropFirst()
        let close = body.firstIndex(of: "'") ?? body.endIndex
        chars = close < body.endIndex ? body[body.index(after: close)...] : body[close...]
        while let c = chars.first, c == " " || c == "\t" { chars = chars.dropFirst() }
        if chars.first == ";" { chars = chars.dropFirst() }
        return String(body[..<close])
      }
      let end = chars.firstIndex(of: ";") ?? chars.endIndex
      let command = String(chars[..<end])
      chars = end < chars.endIndex ? chars[chars.index(after: end)...] : chars[end...]
      return command.trimmingSpaces
    }
    let first = take()
    return (first, take())
  }

  private func foreach(_ spec: Statement.Foreach, text: String, offset: Int, scope: ExecutionScope) -> Flow {
    let input: String
    switch spec.source {
    case .commands(let commands): input = capture(commands)
    case .string(let string): input = string
    case .file(let path):
      do throws(CommandError) {
        do throws(ScriptFile.ReadFailure) { input = try ScriptFile.read(path) } catch { throw error.commandError }
      } catch {
        report(
          CommandResult(command: text, output: nil, error: error.render(line: text, promptWidth: 0), failure: error),
          at: offset, scope)
        return .failed
      }
    }
    let tokens = input.split(whereSeparator: \.isWhitespace).map(String.init)
    var index = spec.initialSkip
    while index < tokens.count {
      if let stop = cancelled(text, offset, scope) { return stop }
      let body = AliasExpansion(values: [spec.variable: tokens[index]]).expand(
        spec.body.text, bareWord: spec.variable)
      switch execute(SourceText(text: body, offset: spec.body.offset), scope: scope.block) {
      case .breakLoop: return .next
      case .failed: return .failed
      case .halt: return .halt
      case .next, .continueLoop: break
      }
      let (next, overflow) = index.addingReportingOverflow(1 + spec.skip)
      guard !overflow else { break }
      index = next
    }
    return .next
  }

  /// The text `commands` print, not shown (`.foreach`'s InCommands): long output is kept whole, and nothing
  /// reaches the log.
  private func capture(_ commands: String) -> String {
    var lines: [String] = []
    let outerEmit = session.emit
    let outerStream = session.stream
    session.emit = { lines.append(contentsOf: $0.lines) }
    session.stream = nil
    defer {
      session.emit = outerEmit
      session.stream = outerStream
    }
    _ = execute(SourceText(text: commands, offset: 0), scope: ExecutionScope(inBlock: true))
    return lines.joined(separator: "\n")
  }

  private func runScript(_ invocation: ScriptInvocation, text: String, offset: Int, scope: ExecutionScope) -> Flow {
    guard session.scripting.scriptDepth < ScriptingState.maxScriptDepth else {
      let message = "Scripts nest too deeply (at most \(ScriptingState.maxScriptDepth) levels)"
      report(CommandResult(command: text, output: nil, error: message, failure: .message(message)), at: offset, scope)
      return .halt
    }
    let raw: String
    do throws(CommandError) {
      do throws(ScriptFile.ReadFailure) { raw = try ScriptFile.read(invocation.path) } catch {
        throw error.commandError
      }
    } catch {
      report(
        CommandResult(command: text, output: nil, error: error.render(line: text, promptWidth: 0), failure: error),
        at: offset, scope)
      return .failed
    }
    let file = ScriptFile(path: invocation.path, text: raw, aliases: .scriptArguments(invocation.arguments))
    guard refuseDeepNesting(file, scope) else { return .failed }
    session.scripting.scriptDepth += 1
    defer { session.scripting.scriptDepth -= 1 }
    let fileScope = ExecutionScope(script: file)
    if invocation.condensed {
      if invocation.echoes { echo(file.text) }
      return execute(SourceText(text: file.text, offset: 0), scope: fileScope) == .halt ? .halt : .next
    }
    return runUnits(of: file, scope: fileScope) { echo($0) }
  }

  /// A script run line by line (`$<`, `$$<`, `--script`): each unit's lines are announced, then it runs; a
  /// failure goes on to the next line (unless `--stop-on-error`).
  func runUnits(of file: ScriptFile, scope: ExecutionScope, announce: (String) -> Void) -> Flow {
    guard refuseDeepNesting(file, scope) else { return .failed }
    for unit in file.units {
      if let stop = cancelled(unit.source.text, unit.source.offset, scope) { return stop }
      unit.lines.forEach(announce)
      if execute(unit.source, scope: scope) == .halt { return .halt }
    }
    return .next
  }

  /// False (after saying so) when the file's braces nest deeper than blocks may: checked in one pass before
  /// anything runs, as each level would otherwise be scanned again.
  private func refuseDeepNesting(_ file: ScriptFile, _ scope: ExecutionScope) -> Bool {
    let depth = file.maxBraceDepth
    guard depth > ScriptingState.maxBlockDepth else { return true }
    let message =
      "Blocks nest too deeply (at most \(ScriptingState.maxBlockDepth) levels; the script has \(depth))"
    report(CommandResult(command: file.path, output: nil, error: message, failure: .message(message)), at: 0, scope)
    return false
  }

  private func echo(_ line: String) {
    session.emit(CommandResult(command: line, output: ScriptEcho(echo: session.prompt + line)))
  }

  /// Reports a result; a failure inside a script names the script and line.
  private func report(_ result: CommandResult, at offset: Int, _ scope: ExecutionScope) {
    var r = result
    if !r.succeeded, let script = scope.script {
      r.error = (r.error ?? "") + "\n  in script \(script.path):\(script.line(at: offset))"
    }
    session.emit(r)
  }

  /// A breakpoint's command string, run at its hit; true when it resumed with `g` or `gc`.
  func runBreakpointCommands(_ commands: String) -> Bool {
    let outer = session.scripting
    session.scripting.runningBreakpointCommands = true
    session.scripting.resumeRequested = false
    defer {
      session.scripting.runningBreakpointCommands = outer.runningBreakpointCommands
      session.scripting.resumeRequested = outer.resumeRequested
    }
    _ = execute(SourceText(text: commands, offset: 0), scope: ExecutionScope())
    return session.scripting.resumeRequested
  }
}
