/// How pool tagging behaves, per Windows generation.
public enum KernelEra: String, Sendable, Equatable, Codable {
  /// Tagging always on (Windows Server 2003 and later). The default.
  case server2003
  /// Windows 2000/XP: tagging, the tracking table and PoolHitTag only after NtGlobalFlag gains
  /// FLG_POOL_ENABLE_TAGGING (0x400) and the target reboots.
  case xp
}

extension KernelEra {
  /// The build number the target reports (DBGKD_GET_VERSION's MinorVersion, nt!NtBuildNumber's low word):
  /// 2600 for Windows XP, 3790 for Windows Server 2003. Debuggers tell the eras apart by it.
  public var buildNumber: UInt16 { self == .xp ? 2600 : 3790 }
}

public struct KernelConfiguration: Sendable {
  /// Largest pace accepted (virtual seconds per wall second): about 11.6 virtual days per wall second.
  public static let maxPace: Double = 1_000_000

  /// Whether `pace` can drive the virtual clock: finite, not negative, at most `maxPace`.
  public static func isValid(pace: Double) -> Bool { pace.isFinite && pace >= 0 && pace <= maxPace }

  /// A bundled scenario name ("default") or a path to a manifest (`*.json`).
  public var scenario: String
  /// Overrides the manifest's seed.
  public var seed: UInt64?
  /// Virtual seconds per wall second; 0 = as fast as possible. Overrides the manifest's pace.
  public var pace: Double?
  /// Overrides the manifest's era.
  public var era: KernelEra?
  /// NtGlobalFlag at first boot (kept across reboots).
  public var ntGlobalFlag: UInt32
  /// `--scenarios DIR`: where bundled scenario names are looked up; nil looks beside the executable
  /// (``ScenarioDirectory``).
  public var scenariosDirectory: String?
  /// Halt before the first instruction of every boot (`kdserver --break-at-boot`, `kd -d`): the target stays
  /// halted on its idle thread until a debugger resumes it, so what runs after is the same from run to run.
  public var breakAtBoot: Bool
  /// Outstanding pool blocks per allocating call site (ours: `!poolsites`, `!tagsplit`). On by default; off
  /// only to measure what it costs (the bench's baseline).
  public var poolSiteTracking: Bool
  /// Driver Verifier settings at first boot (`kdserver --verifier Abc.sys:0x8`); `.verifier` changes them for
  /// the next boot, as `verifier.exe` does on Windows.
  public var verifier: [VerifierSetting]

  public init(
    scenario: String = "default", seed: UInt64? = nil, pace: Double? = nil, era: KernelEra? = nil,
    ntGlobalFlag: UInt32 = 0, scenariosDirectory: String? = nil, breakAtBoot: Bool = false,
    poolSiteTracking: Bool = true, verifier: [VerifierSetting] = []
  ) {
    self.scenario = scenario
    self.seed = seed
    self.pace = pace
    self.era = era
    self.ntGlobalFlag = ntGlobalFlag
    self.scenariosDirectory = scenariosDirectory
    self.breakAtBoot = breakAtBoot
    self.poolSiteTracking = poolSiteTracking
    self.verifier = verifier
  }
}
