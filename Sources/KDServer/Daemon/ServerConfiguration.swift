import KDKernel
import KDProtocol

/// Every tunable of the daemon with its default, in one value. docs/DEPLOY.md lists the same defaults.
public struct ServerConfiguration: Sendable {
  public static let defaultPort: UInt16 = 7725

  /// Address to listen on; loopback unless an authentication mode is configured.
  public var host = "127.0.0.1"
  /// 0 asks the system for a free port (printed in the "listening on" line).
  public var port: UInt16 = defaultPort
  /// `--gdb-listen`: where the GDB remote endpoint listens (plain TCP, loopback addresses only); nil: none.
  public var gdbHost: String?
  public var gdbPort: UInt16 = 0
  /// Connections the GDB endpoint holds open at once (one can be the controller; the others are refused).
  public var maxGDBConnections = 4
  /// `--kdcom-listen`: where the KDCOM endpoint listens (KD's serial protocol over plain TCP, loopback addresses
  /// only); nil: none.
  public var kdcomHost: String?
  public var kdcomPort: UInt16 = 0
  /// Connections the KDCOM endpoint holds open at once (one can be the controller; the others are closed).
  public var maxKDCOMConnections = 4
  public var certificatePath: String?
  public var keyPath: String?
  /// Clients must present a certificate issued by this CA (mutual TLS).
  public var clientCAPath: String?
  /// Clients must send this token (at least 128 bits) in their hello.
  public var tokenPath: String?
  /// Where a generated self-signed identity is kept and reused.
  public var stateDirectory: String
  /// Accept a key or token file group or others may open, and a state directory they may write (refused otherwise).
  public var allowInsecurePermissions = false
  public var scenario = "default"
  /// `--scenarios DIR`: where bundled scenario names are found; nil looks beside the executable
  /// (`../share/swift-kd/Scenarios`, then SwiftPM's resource bundle).
  public var scenariosDirectory: String?
  public var seed: UInt64?
  /// Virtual seconds per wall second; 0 runs as fast as possible.
  public var pace: Double?
  /// "xp" for the Windows 2000/XP target whose pool tagging is off until `!gflag +ptg` and a reboot.
  public var era: String?
  /// `--break-at-boot`: the kernel halts before its first instruction at every boot, until a debugger resumes it.
  public var breakAtBoot = false
  /// `--verifier Name.sys:0x8` (repeatable): Driver Verifier settings at first boot.
  public var verifier: [VerifierSetting] = []
  /// Sessions attached at once (controller and observers); one more is refused with STATUS_QUOTA_EXCEEDED.
  public var maxConnections = 64
  /// Observers attached at once (within `maxConnections`).
  public var maxObservers = 16
  /// Connections not yet admitted (TLS handshake, then hello) at once; past it the oldest is closed.
  public var maxPending = 256
  /// Connections not yet admitted from one source address.
  public var maxPendingPerSource = 8
  /// Requests a client may have in flight (HELLO_REPLY's window).
  public var window = SessionPolicy.defaultWindow
  /// Unsent output across all connections; past it, connections with output of their own take no more requests
  /// until it drains.
  public var maxBufferedBytes = 32 << 20
  /// Unsent replies on one connection past which it takes no more requests until they drain (the peer is
  /// slowed, not dropped). TCP's own buffers hold more beyond it.
  public var linkOutputBudget = 1 << 20
  /// Refused connections are logged as one summary line per interval.
  public var refusalLogInterval: Duration = .seconds(10)
  /// A new controller takes the role from the current one (which is told, and disconnected).
  public var allowTakeover = false
  /// Resume a halted target after its controller has been gone this long; nil keeps it halted (KD's behaviour).
  public var resumeAfter: Duration?
  /// Exit after the first session ends.
  public var once = false
  public var allowTLS12 = false
  public var handshakeTimeout: Duration = .seconds(10)
  /// The hello must arrive this soon after the TLS handshake.
  public var helloTimeout: Duration = .seconds(10)
  /// Once a frame's first byte has arrived, the whole frame must arrive within this time.
  public var frameTimeout: Duration = .seconds(10)
  /// Largest payload the server accepts or sends (the hello may negotiate it down).
  public var maxPayload = Limits.hardMaxPayload
  /// Output queued for one client beyond which it is disconnected as not reading.
  public var maxPendingOutputBytes = 16 << 20

  public init(stateDirectory: String) {
    self.stateDirectory = stateDirectory
  }

  /// Checks what can be checked before binding. Whether authentication is required is decided by ``Daemon``
  /// on the address actually bound (a name may resolve to a wildcard).
  public func validate() throws(ServerError) {
    if let pace, !KernelConfiguration.isValid(pace: pace) {
      throw .configuration(
        "--pace \(pace): want virtual seconds per wall second, a finite number in 0...\(Int(KernelConfiguration.maxPace))"
      )
    }
    if (certificatePath == nil) != (keyPath == nil) {
      throw .configuration("--cert and --key go together")
    }
    if !allowInsecurePermissions { try SecretFiles.check(self) }
  }
}
