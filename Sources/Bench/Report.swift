import Foundation

/// The results of one run: sections of rows, printed as Markdown tables as they come in.
final class Report {
  struct Row {
    var name: String
    var ours: String
    var reference: String
    var ratio: String
    var goal: String
  }

  private(set) var text = ""

  func section(_ title: String, columns: (ours: String, reference: String)) {
    emit("\n### \(title)\n")
    emit("| measurement | \(columns.ours) | \(columns.reference) | ratio | goal |")
    emit("|---|---|---|---|---|")
  }

  func row(_ name: String, _ ours: String, _ reference: String, ratio: String = "", goal: String = "") {
    emit("| \(name) | \(ours) | \(reference) | \(ratio) | \(goal) |")
  }

  /// A table with its own columns.
  func table(_ title: String, headers: [String]) {
    emit("\n### \(title)\n")
    cells(headers)
    cells(headers.map { _ in "---" })
  }

  func cells(_ values: [String]) { emit("| " + values.joined(separator: " | ") + " |") }

  func note(_ line: String) { emit("\n" + line) }

  private func emit(_ line: String) {
    text += line + "\n"
    Self.writeLine(line)
  }

  /// One line to stdout, unbuffered (the parent of a server child waits for its READY line).
  static func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }
}

/// Number formatting for the tables.
enum Format {
  static func rate(_ perSecond: Double, _ unit: String) -> String {
    if perSecond >= 1e6 { return String(format: "%.2f M%@/s", perSecond / 1e6, unit) }
    if perSecond >= 1e3 { return String(format: "%.1f k%@/s", perSecond / 1e3, unit) }
    return String(format: "%.1f %@/s", perSecond, unit)
  }

  static func throughput(_ bytesPerSecond: Double) -> String {
    String(format: "%.1f MB/s", bytesPerSecond / 1e6)
  }

  static func time(_ seconds: Double) -> String {
    if seconds < 1e-3 { return String(format: "%.1f µs", seconds * 1e6) }
    if seconds < 1 { return String(format: "%.2f ms", seconds * 1e3) }
    return String(format: "%.2f s", seconds)
  }

  static func bytes(_ count: Int) -> String {
    if count >= 1 << 20 { return String(format: "%.1f MiB", Double(count) / 1_048_576) }
    return String(format: "%.1f KiB", Double(count) / 1024)
  }

  /// "12.3x" (ours over the reference, higher is better when `higherIsBetter`).
  static func ratio(_ value: Double) -> String {
    guard value.isFinite, value > 0 else { return "n/a" }
    return value < 0.1 ? String(format: "1/%.0f", 1 / value) : String(format: "%.2fx", value)
  }

  static func percent(_ value: Double) -> String {
    value.isFinite ? String(format: "%.0f%%", value * 100) : "n/a"
  }

  static func verdict(_ met: Bool) -> String { met ? "met" : "missed" }
}
