import Foundation

/// PoolMon, live, over the wire while the target keeps running: full-screen with highlighted changes and
/// PoolMon's keys on a terminal; plain periodic snapshots (or one JSON object per snapshot) otherwise.
public struct PoolMonScreen {
  public var mon = PoolMon()
  public var interval: Duration = .seconds(5)
  /// Snapshots to print before returning (nil = until q / Ctrl+C).
  public var count: Int?
  public var json = false
  public var fullScreen = Terminal.isInteractive

  public init() {}

  /// Runs until q/ESC/Ctrl+C (or `count` snapshots). Returns false when reading the target failed.
  public mutating func run(_ debugger: Debugger) -> Bool {
    if fullScreen && !json { return Terminal.withRawInput { runLive(debugger) } }
    var n = 0
    Interrupt.clear()
    while count.map({ n < $0 }) ?? true {
      guard let view = sample(debugger) else { return false }
      if json {
        Terminal.write(Self.jsonLine(view) + "\n")
      } else {
        Terminal.writeLines((n > 0 ? [""] : []) + view.lines)
      }
      n += 1
      if let count, n >= count { break }
      if sleepInterrupted() { break }
    }
    return true
  }

  private mutating func runLive(_ debugger: Debugger) -> Bool {
    Interrupt.clear()
    let clock = ContinuousClock()
    while true {
      guard let view = sample(debugger) else { return false }
      Terminal.write(
        "\u{1b}[H\u{1b}[2J" + view.render(ansi: true).joined(separator: "\n") + "\n"
          + " q quit  t a f d b m g sort  ( change  p pool  l highlight  r growth")
      let next = clock.now + interval
      var refresh = false
      while !refresh, clock.now < next {
        if Interrupt.take() { return true }
        guard let key = Terminal.readKey(timeout: 100) else { continue }
        if key == "q" || key == "Q" || key == "\u{1b}" {
          Terminal.write("\n")
          return true
        }
        refresh = mon.handleKey(key)
      }
    }
  }

  private mutating func sample(_ debugger: Debugger) -> PoolMonView? {
    do {
      return try debugger.poolSnapshot(&mon)
    } catch {
      Terminal.write(error.render(line: "poolmon", promptWidth: 0) + "\n")
      return nil
    }
  }

  private func sleepInterrupted() -> Bool {
    let end = ContinuousClock().now + interval
    while ContinuousClock().now < end {
      if Interrupt.take() { return true }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return false
  }

  /// A `poolmon` event line (docs/COMMANDS.md, "JSON").
  static func jsonLine(_ view: PoolMonView) -> String {
    JSONLine.event(.poolmon, at: view.rows.first?.time ?? Date(), result: view, text: view.lines)
  }
}
