internal import CEdit
import Foundation

/// The interactive console: libedit line editing with persistent history (~/.kd_history), KD's prompt,
/// Enter repeats, no prompt while the target runs, Ctrl+C breaks in. `!poolmon` runs live full-screen.
public final class Console {
  let debugger: Debugger
  let json: Bool
  let historyPath: String

  public init(debugger: Debugger, json: Bool = false, historyPath: String? = nil) {
    self.debugger = debugger
    self.json = json
    self.historyPath = historyPath ?? (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.kd_history"
  }

  /// Runs until `q`, `.detach`, Ctrl+D on an empty line or end of input. Returns the process exit status.
  ///
  /// Ctrl+C at the prompt discards the line; during a command it cancels it; while the target runs it
  /// breaks in. With stdin not a terminal, each command is printed after the prompt as cdb prints it.
  public func run() -> Int32 {
    Interrupt.install()
    debugger.interruptRequested = { Interrupt.take() }
    if !json { debugger.stream = { Terminal.write($0) } }
    let editing = isatty(STDIN_FILENO) == 1
    if editing {
      // Our SIGINT handler only sets a flag; libedit reads keys through `Console.readKey`, which sees it.
      swiftkd_readline_keys { _ in Console.readKey() }
      using_history()
      _ = read_history(historyPath)
    }
    defer { if editing { _ = write_history(historyPath) } }
    if !debugger.target.state.isHalted {
      guard waitWhileRunning() else { return KDExitStatus.connectionLost.rawValue }
    }
    while !debugger.hasEnded {
      let line: String
      if editing {
        Interrupt.clear()
        guard let raw = readline(debugger.prompt) else {
          if Interrupt.take() {
            // Ctrl+C at the prompt: the line is dropped, a fresh prompt follows.
            Terminal.write("^C\n")
            continue
          }
          Terminal.write("\n")
          break
        }
        line = String(cString: raw)
        free(raw)
        if !line.trimmingSpaces.isEmpty { add_history(line) }
      } else {
        guard let read = Swift.readLine(strippingNewline: true) else { break }
        line = read
        if !json { Terminal.write(debugger.prompt + line + "\n") }
      }
      Interrupt.clear()
      if line.trimmingSpaces.hasPrefix("!poolmon"), Terminal.isInteractive, !json {
        liveMonitor(line)
        continue
      }
      let results = debugger.run(line) { self.emit([$0]) }
      if results.contains(where: { if case .target(.disconnected) = $0.failure { true } else { false } }) {
        return KDExitStatus.connectionLost.rawValue
      }
      if debugger.stopOnError, results.contains(where: { !$0.succeeded }) { return KDExitStatus.commandFailed.rawValue }
      // No prompt while the target runs (after `.reboot`, or a `g` that timed out): wait for its break.
      if !debugger.hasEnded, !debugger.target.state.isHalted {
        guard waitWhileRunning() else { return KDExitStatus.connectionLost.rawValue }
      }
    }
    return 0
  }

  /// libedit's key reader: one byte of stdin, or end of input (-1) when Ctrl+C was pressed, so that `readline`
  /// returns at once and the console can tell the two apart by the interrupt flag.
  static func readKey() -> Int32 {
    while true {
      if Interrupt.flag.load(ordering: .relaxed) { return -1 }
      var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
      let ready = poll(&fds, 1, 50)
      if ready < 0 && errno != EINTR { return -1 }
      guard ready > 0 else { continue }
      var byte: UInt8 = 0
      let n = read(STDIN_FILENO, &byte, 1)
      if n == 1 { return Int32(byte) }
      if n == 0 || errno != EINTR { return -1 }
    }
  }

  /// `!poolmon` on a terminal: the target runs while the live view shows (PoolMon watches a running
  /// system); leaving it breaks in again when the target was halted before.
  private func liveMonitor(_ line: String) {
    var screen = PoolMonScreen()
    for word in line.trimmingSpaces.split(separator: " ").dropFirst() {
      guard screen.mon.apply(option: String(word)) else {
        Terminal.write("Unknown PoolMon option '\(word)'\n")
        return
      }
    }
    let wasHalted = debugger.target.state.isHalted
    if wasHalted {
      do { try debugger.resumeDetached() } catch {
        Terminal.write(error.render(line: line, promptWidth: debugger.prompt.count) + "\n")
        return
      }
    }
    _ = screen.run(debugger)
    if wasHalted {
      do {
        if let r = try debugger.breakIn() { emit([r]) }
      } catch {
        Terminal.write(error.description + "\n")
      }
    }
  }

  func emit(_ results: [CommandResult]) {
    for r in results {
      Terminal.write(json ? r.jsonLines().map { $0 + "\n" }.joined() : r.text)
    }
  }

  /// Attached to a running target: no prompt until it breaks (Ctrl+C breaks in).
  private func waitWhileRunning() -> Bool {
    var brokeIn = false
    while true {
      if !brokeIn && Interrupt.take() {
        do { try debugger.target.breakIn() } catch {
          Terminal.write(error.description + "\n")
          return false
        }
        brokeIn = true
      }
      do {
        if let r = try debugger.waitForBreak(timeout: .milliseconds(100)) {
          emit([r])
          return true
        }
      } catch {
        Terminal.write(error.description + "\n")
        return false
      }
    }
  }
}
