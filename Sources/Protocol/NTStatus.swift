/// The NTSTATUS values replies and events carry. An open set, like NTSTATUS itself.
public struct NTStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public init(_ rawValue: UInt32) { self.rawValue = rawValue }

  public static let success = NTStatus(0x0000_0000)
  /// Requests carry STATUS_PENDING, as KD's do.
  public static let pending = NTStatus(0x0000_0103)
  /// A read or write that stopped at an unreadable or unwritable page: the count says how far it got.
  public static let partialCopy = NTStatus(0x8000_000D)
  /// A search found nothing; a listing has no more entries.
  public static let noMoreEntries = NTStatus(0x8000_001A)
  public static let unsuccessful = NTStatus(0xC000_0001)
  /// Unknown ApiNumber or packet type: the session goes on.
  public static let notImplemented = NTStatus(0xC000_0002)
  /// Nothing is mapped at the address.
  public static let accessViolation = NTStatus(0xC000_0005)
  public static let invalidParameter = NTStatus(0xC000_000D)
  /// Bad or missing token, or a client certificate the server does not accept.
  public static let accessDenied = NTStatus(0xC000_0022)
  /// The request needs a halted target (or a running one).
  public static let invalidDeviceState = NTStatus(0xC000_0184)
  /// The other side speaks another protocol major version.
  public static let revisionMismatch = NTStatus(0xC000_0059)
  /// Another client holds the controller role.
  public static let deviceBusy = NTStatus(0x8000_0011)
  /// The request needs the controller role; this session is an observer.
  public static let privilegeNotHeld = NTStatus(0xC000_0061)
  /// The server is shutting down.
  public static let systemShutdown = NTStatus(0xC000_02EB)
  /// A client fell too far behind reading its output (events queued beyond the limit).
  public static let quotaExceeded = NTStatus(0xC000_0044)
  public static let timeout = NTStatus(0x0000_0102)
  /// The peer sent something that is not this protocol.
  public static let protocolError = NTStatus(0xC000_0239)  // STATUS_INVALID_NETWORK_RESPONSE

  public var isError: Bool { rawValue >= 0xC000_0000 }

  public var description: String {
    let name: String? =
      switch self {
      case .success: "STATUS_SUCCESS"
      case .pending: "STATUS_PENDING"
      case .partialCopy: "STATUS_PARTIAL_COPY"
      case .noMoreEntries: "STATUS_NO_MORE_ENTRIES"
      case .unsuccessful: "STATUS_UNSUCCESSFUL"
      case .notImplemented: "STATUS_NOT_IMPLEMENTED"
      case .accessViolation: "STATUS_ACCESS_VIOLATION"
      case .invalidParameter: "STATUS_INVALID_PARAMETER"
      case .accessDenied: "STATUS_ACCESS_DENIED"
      case .invalidDeviceState: "STATUS_INVALID_DEVICE_STATE"
      case .revisionMismatch: "STATUS_REVISION_MISMATCH"
      case .deviceBusy: "STATUS_DEVICE_BUSY"
      case .privilegeNotHeld: "STATUS_PRIVILEGE_NOT_HELD"
      case .systemShutdown: "STATUS_SYSTEM_SHUTDOWN"
      case .quotaExceeded: "STATUS_QUOTA_EXCEEDED"
      case .timeout: "STATUS_TIMEOUT"
      case .protocolError: "STATUS_INVALID_NETWORK_RESPONSE"
      default: nil
      }
    let code = "0x" + String(rawValue, radix: 16, uppercase: false).leftPadded(to: 8)
    return name.map { "\($0) (\(code))" } ?? code
  }
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}
