/// A failure of the target or of the link to it, with the evidence.
public enum TargetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The request needs a halted target (registers, stepping, breakpoints on some targets).
  case notHalted(operation: String)
  /// The request needs a running target (break-in).
  case notRunning(operation: String)
  /// The link to the target is gone.
  case disconnected(reason: String)
  /// The target refused the request; `status` is its NTSTATUS-like code when it gave one.
  case refused(operation: String, status: UInt32, message: String)
  /// A breakpoint handle the target does not know.
  case unknownBreakpoint(handle: UInt32)

  public var description: String {
    switch self {
    case .notHalted(let op): "\(op): the target is running; break in first (Ctrl+C)"
    case .notRunning(let op): "\(op): the target is not running"
    case .disconnected(let reason): "target connection lost: \(reason)"
    case .refused(let op, let status, let message):
      "\(op) failed - NTSTATUS 0x\(String(status, radix: 16, uppercase: true).leftPadded(to: 8, with: "0")): \(message)"
    case .unknownBreakpoint(let handle): "unknown breakpoint handle \(handle)"
    }
  }
}
