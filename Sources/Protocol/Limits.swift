/// Sizes and deadlines both sides rely on. docs/PROTOCOL.md ("Limits") states the same numbers.
public enum Limits {
  /// Largest payload any frame may carry; a header declaring more is refused before anything is allocated.
  public static let hardMaxPayload = 0xF000  // 61440
  /// Maximum payload when the hello asks for none (0).
  public static let defaultMaxPayload = 0x8000  // 32768
  /// Smallest maximum a hello may ask for (it must hold a whole manipulate header plus some data).
  public static let minMaxPayload = 0x400
  /// Stack frames a break notification carries when the hello asks for none.
  public static let defaultBreakFrames = 32
  /// Most stack frames a break notification or GetStackTrace reply carries.
  public static let maxStackFrames = 256
  /// Longest client name, server name and token in a hello.
  public static let maxNameLength = 256
  public static let maxTokenLength = 256
  /// Most return addresses a pool call site (GetPoolSites) carries.
  public static let maxPoolSiteFrames = 16
  /// Most samples a GetPoolSites reply carries.
  public static let maxPoolSiteSamples = 64
  /// Most lost-block addresses a PoolScan entry carries.
  public static let maxPoolScanAddresses = 8
}

/// The protocol version this library speaks.
public enum ProtocolVersion {
  public static let major: UInt16 = 1
  public static let minor: UInt16 = 0
}

/// The swift-kd release both binaries print for `--version`.
public enum ReleaseVersion {
  public static let number = "0.1"
}
