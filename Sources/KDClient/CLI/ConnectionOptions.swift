import ArgumentParser
import Foundation

/// How `kd` reaches a target. Without `--connect`, the embedded default target is used.
public struct ConnectionOptions: ParsableArguments, Sendable {
  @Option(
    name: .long, help: "Debug server to attach to (HOST:PORT). Without it, kd starts the embedded default target.")
  public var connect: String?

  @Option(name: .long, help: "CA certificate (PEM) that signed the server's certificate.")
  public var ca: String?

  @Option(name: .long, help: "Expected SHA-256 fingerprint of the server certificate (instead of --ca).")
  public var fingerprint: String?

  @Option(name: .long, help: "Client certificate (PEM) for mutual TLS.")
  public var cert: String?

  @Option(name: .long, help: "Client private key (PEM) for --cert.")
  public var key: String?

  @Option(name: .customLong("token-file"), help: "File holding the session token.")
  public var tokenFile: String?

  @Flag(name: .long, help: "Attach as a read-only observer: see the controller's breaks, change nothing.")
  public var observe = false

  @Option(name: .long, help: "Embedded target only: scenario (a bundled name or a manifest path). Default: default.")
  public var scenario: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Embedded target only: directory of the bundled scenarios. Default: ../share/swift-kd/Scenarios from the "
        + "executable's directory, else swift-kd_KDKernel.resources/Scenarios beside it.", valueName: "dir"))
  public var scenarios: String?

  @Option(name: .long, help: "Embedded target only: kernel era, 'xp' or 'server2003'. Default: the scenario's.")
  public var era: String?

  @Option(name: .long, help: "Embedded target only: virtual seconds per wall second. Default: the scenario's.")
  public var pace: Double?

  @Flag(
    name: .customShort("d"),
    help:
      "Embedded target only: break in before its first instruction (KD's -d: as early as the boot allows); with --pace 0 every run is the same."
  )
  public var breakAtBoot = false

  @Option(
    name: .customLong("verifier"),
    help: ArgumentHelp(
      "Embedded target only: Driver Verifier at boot, Pool Tracking for a driver (Abc.sys:0x8). Repeatable.",
      valueName: "Name.sys:flags"))
  public var verifier: [String] = []

  public init() {}

  public func validate() throws {
    if ca != nil && fingerprint != nil { throw ValidationError("Use either --ca or --fingerprint, not both.") }
    if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together.") }
    if connect != nil, scenario != nil || scenarios != nil || era != nil || pace != nil {
      throw ValidationError(
        "--scenario, --scenarios, --era and --pace choose the embedded target; with --connect, start kdserver with them."
      )
    }
    if connect != nil, !verifier.isEmpty {
      throw ValidationError(
        "--verifier sets the embedded target's Driver Verifier; with --connect, start kdserver with it.")
    }
    if connect != nil, breakAtBoot {
      throw ValidationError(
        "-d halts the embedded target at boot; with --connect, start kdserver with --break-at-boot.")
    }
    if let era, !["xp", "server2003"].contains(era) {
      throw ValidationError("--era takes 'xp' or 'server2003', got '\(era)'.")
    }
    if let pace, !(pace >= 0 && pace <= 1_000_000) { throw ValidationError("--pace takes 0 to 1000000, got \(pace).") }
    if let c = connect {
      let parts = c.split(separator: ":")
      guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else {
        throw ValidationError("--connect wants HOST:PORT, got '\(c)'.")
      }
    }
  }
}

extension ConnectionOptions {
  /// Connects through the hook; on failure says why on stderr, once, and gives the exit status.
  func open(_ connect: TargetConnector) -> Result<any DebugTarget, KDExitStatus> {
    do {
      return .success(try connect(self))
    } catch {
      FileHandle.standardError.write(Data("kd: \(error)\n".utf8))
      return .failure(KDExitStatus.connecting(error))
    }
  }
}

/// Opens a target for `kd`: the lead's hook (remote over TLS, or the embedded default target).
public typealias TargetConnector = (ConnectionOptions) throws -> any DebugTarget
