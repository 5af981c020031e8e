import Foundation

/// One command's outcome, as the console prints it and `--json` emits it.
public struct CommandResult: Sendable {
  /// The command as typed (one `;`-separated piece of the line).
  public var command: String
  /// Structured output (nil when the command failed).
  public var output: (any CommandOutput)?
  /// The error text in KD's form, when the command failed.
  public var error: String?
  /// The failure itself (nil on success), for callers that branch on it.
  public var failure: CommandError?
  /// The break the command ran into (`g`, `p`, `t`), already rendered into `lines`.
  public var event: BreakEvent?
  /// Extra lines after the output (a break notification).
  public var eventLines: [String]

  public var succeeded: Bool { error == nil }

  /// A failure after which the rest of the line (and a script) cannot go on: the connection is gone, the
  /// target is still running after `--timeout`, or Ctrl+C cancelled it.
  public var endsTheLine: Bool {
    switch failure {
    case .target(.disconnected), .timedOut, .cancelled: true
    default: false
    }
  }

  public init(
    command: String, output: (any CommandOutput)?, error: String? = nil, failure: CommandError? = nil,
    event: BreakEvent? = nil,
    eventLines: [String] = []
  ) {
    self.command = command
    self.output = output
    self.error = error
    self.failure = failure
    self.event = event
    self.eventLines = eventLines
  }

  /// The full text KD shows for this command.
  public var lines: [String] {
    var all = output?.lines ?? []
    if let error {
      all.append(contentsOf: error.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }
    all.append(contentsOf: eventLines)
    return all
  }

  public var text: String { lines.map { $0 + "\n" }.joined() }

  /// One JSON object on one line: `{"command":…,"ok":…,"result":{…},"error":…,"event":{…}}`.
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(JSONLine(result: self)), let s = String(data: data, encoding: .utf8) else {
      preconditionFailure("CommandResult encoding cannot fail: every output is plain data")
    }
    return s
  }

  private struct JSONLine: Encodable {
    let result: CommandResult
    enum Keys: String, CodingKey { case command, ok, result, error, event, text }
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      try c.encode(result.command, forKey: .command)
      try c.encode(result.succeeded, forKey: .ok)
      if let output = result.output { try output.encode(to: c.superEncoder(forKey: .result)) }
      try c.encodeIfPresent(result.error, forKey: .error)
      try c.encodeIfPresent(result.event, forKey: .event)
      try c.encode(result.lines, forKey: .text)
    }
  }
}
