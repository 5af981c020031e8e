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

  /// Runs until `q`, `.detach` or end of input. Returns the process exit status.
  public func run() -> Int32 {
    Interrupt.install()
    debugger.interruptRequested = { Interrupt.take() }
    using_history()
    _ = read_history(historyPath)
    defer { _ = write_history(historyPath) }
    if !debugger.target.state.isHalted {
      guard waitWhileRunning() else { return 2 }
    }
    while !debugger.hasEnded {
      guard let raw = readline(debugger.prompt) else {
        Terminal.write("\n")
        break
      }
      let line = String(cString: raw)
      free(raw)
      if !line.trimmingSpaces.isEmpty { add_history(line) }
      Interrupt.clear()
      if line.trimmingSpaces.hasPrefix("!poolmon"), Terminal.isInteractive, !json {
        liveMonitor(line)
        continue
      }
      let results = debugger.run(line) { self.emit([$0]) }
      if results.contains(where: { if case .target(.disconnected) = $0.failure { true } else { false } }) { return 2 }
      // No prompt while the target runs (after `.reboot`, or a `g` that timed out): wait for its break.
      if !debugger.hasEnded, !debugger.target.state.isHalted {
        guard waitWhileRunning() else { return 2 }
      }
    }
    return 0
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
      Terminal.write(json ? r.json + "\n" : r.text)
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
