import Foundation

/// Timestamps in kd's JSON: ISO 8601 in UTC with milliseconds (`"2026-12-07T17:45:01.123Z"`), this machine's
/// clock. The protocol carries no target time, so there is no virtual time beside it (docs/COMMANDS.md, "JSON").
enum JSONTime {
  static func text(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
  }
}
