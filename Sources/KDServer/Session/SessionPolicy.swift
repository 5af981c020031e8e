import KDProtocol

/// Everything a session is told of the server it belongs to, as one value: its name, limits, deadlines and
/// the rules for roles. The daemon builds it from its configuration; tests build their own.
public struct SessionPolicy: Sendable {
  /// The name HELLO_REPLY carries.
  public var serverName: String
  /// A token the hello must carry; nil when the server requires none.
  public var token: AccessToken?
  /// The hello must arrive this soon after the link is up.
  public var helloTimeout: Duration = .seconds(10)
  /// Once a frame's first byte has arrived, the whole frame must arrive within this time.
  public var frameTimeout: Duration = .seconds(10)
  /// Largest payload the server accepts or sends; the hello may negotiate it down.
  public var maxPayload = Limits.hardMaxPayload
  /// Requests a client may have outstanding (advertised in HELLO_REPLY). Replies and events the server has
  /// queued and the client has not taken count against it; a request taken with twice the window queued gets
  /// GOODBYE (STATUS_QUOTA_EXCEEDED).
  public var window = SessionPolicy.defaultWindow
  /// Unsent events (breaks, running, debug output) past which a client that is not reading is disconnected.
  public var maxPendingOutputBytes = 16 << 20
  /// Beyond this much unsent output, debug prints are coalesced (counted, not sent).
  public var printBackpressureBytes = 1 << 20
  /// A new controller may take the role from the current one (which is told, and disconnected).
  public var allowTakeover = false
  /// Resume a halted target after its controller has been gone this long; nil keeps it halted (KD's way).
  public var resumeAfter: Duration?
  /// Sessions attached at once, controller and observers; one more is refused with STATUS_QUOTA_EXCEEDED.
  public var maxSessions = 64
  /// Observers attached at once; one more is refused with STATUS_QUOTA_EXCEEDED.
  public var maxObservers = 16

  public static let defaultWindow = 256

  public init(serverName: String, token: AccessToken? = nil) {
    self.serverName = serverName
    self.token = token
  }
}
