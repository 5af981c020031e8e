import Foundation

/// One command's outcome, as the console prints it and `--json` emits it (`jsonLines`, JSONLine.swift).
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
}
