/// A packet whose command was recognised but whose arguments were not: which packet, at which byte of its
/// payload, what was expected and what was found. The session answers it with an `E` reply and goes on.
public struct GDBRequestError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The command letters (`m`, `Z`, `vCont`, `qXfer`).
  public var command: String
  /// Offset in the payload.
  public var offset: Int
  public var expected: String
  public var found: String

  public var description: String {
    "'\(command)' packet at payload byte \(offset): expected \(expected), found \(found)"
  }
}
