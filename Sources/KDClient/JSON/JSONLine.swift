import Foundation

/// One line of `kd --json` (docs/COMMANDS.md, "JSON"; docs/kd-json.schema.json): a command's result or a target
/// event, each one JSON object with the same envelope: `schema` (this format's version), `type` (`command` or
/// `event`), `time` (ISO 8601 UTC), `result` (the structured data, when there is some), `error` (KD's error
/// text, when the command or event failed) and `text` (KD's lines for it). Command lines add `command` (as typed),
/// `name` (the command it ran, as `.help` lists it) and `ok`; event lines add `event` (`break`, `bugcheck`,
/// `running`, `debug-print`, `poolmon`).
struct JSONLine: Encodable {
  /// The format's version: raised when a field changes meaning or type, not when one is added.
  static let schemaVersion = 1

  enum Kind: String, Encodable { case command, event }

  /// The events kd reports on their own lines.
  enum Event: String, Encodable {
    /// The target stopped (breakpoint, exception, break-in, step).
    case `break`
    /// The target stopped in KeBugCheckEx.
    case bugcheck
    /// The target was let run (`g`, `gu`, `.runfor`).
    case running
    /// The target printed (DbgPrint).
    case debugPrint = "debug-print"
    /// One `kd poolmon --json` sample.
    case poolmon
  }

  var type: Kind
  var time: Date
  var command: String?
  var name: String?
  var ok: Bool?
  var event: Event?
  var result: (any Encodable)?
  var error: String?
  var text: [String]

  private enum Keys: String, CodingKey { case schema, type, time, command, name, ok, event, result, error, text }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(Self.schemaVersion, forKey: .schema)
    try c.encode(type, forKey: .type)
    try c.encode(JSONTime.text(time), forKey: .time)
    try c.encodeIfPresent(command, forKey: .command)
    try c.encodeIfPresent(name, forKey: .name)
    try c.encodeIfPresent(ok, forKey: .ok)
    try c.encodeIfPresent(event, forKey: .event)
    if let result { try result.encode(to: c.superEncoder(forKey: .result)) }
    try c.encodeIfPresent(error, forKey: .error)
    try c.encode(text, forKey: .text)
  }

  /// The line as one line of text (no newline).
  var rendered: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self), let s = String(data: data, encoding: .utf8) else {
      preconditionFailure("JSONLine encoding cannot fail: every result is plain data")
    }
    return s
  }

  /// An event line.
  static func event(_ event: Event, at time: Date = Date(), result: (any Encodable)? = nil, text: [String] = [])
    -> String
  {
    JSONLine(type: .event, time: time, event: event, result: result, text: text).rendered
  }
}

extension CommandResult {
  /// The result's `kd --json` lines: a break the command ran into (or that arrived outside a command) is an
  /// event line of its own, before the command's line.
  public func jsonLines(at time: Date = Date()) -> [String] {
    // A script line's echo (`kd> cmd` after `$<`) is text for a transcript; in JSON each command of the script
    // has its own line already.
    if output is ScriptEcho { return [] }
    var out: [String] = []
    var output = output
    var text = lines
    if let event, let notification = output as? BreakNotification {
      out.append(
        JSONLine.event(
          event.kind == .bugCheck ? .bugcheck : .break, at: time, result: notification,
          text: notification.lines))
      output = nil
      text = Array(text.dropFirst(notification.lines.count))
    }
    guard !command.isEmpty else {
      if out.isEmpty || error != nil {
        out.append(
          JSONLine(
            type: .event, time: time, event: event?.kind == .bugCheck ? .bugcheck : .break, error: error, text: text
          ).rendered)
      }
      return out
    }
    // The command's name as `.help` lists it: the word typed when it is one (`kb`, `db`), else the first (`bp` for
    // `bp1`).
    let word = Invocation.split(command).name
    let names = CommandRegistry.command(for: word)?.names ?? []
    let name = names.first { $0.caseInsensitiveEquals(word) } ?? names.first
    out.append(
      JSONLine(
        type: .command, time: time, command: command, name: name, ok: succeeded, result: output, error: error,
        text: text
      ).rendered)
    return out
  }
}
