/// A target's Driver Verifier settings (ours, `.verifier`): those stored for the next boot and those in effect.
public struct VerifierSettingList: Sendable, Equatable {
  public struct Setting: Sendable, Equatable, Codable {
    /// The driver's image name (`Abc.sys`).
    public var driver: String
    public var flags: UInt32

    public init(driver: String, flags: UInt32) {
      self.driver = driver
      self.flags = flags
    }
  }

  public var stored: [Setting]
  public var active: [Setting]

  public init(stored: [Setting], active: [Setting]) {
    self.stored = stored
    self.active = active
  }
}

/// What `verifierSettings` does on the target.
public enum VerifierSettingsOperation: Sendable, Equatable {
  case query
  /// Stores these settings for the next boot (a driver already named gets the new flags).
  case store([VerifierSettingList.Setting])
  /// Clears the settings for the next boot.
  case reset
}
