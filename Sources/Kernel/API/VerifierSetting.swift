/// One driver's Driver Verifier setting, as `verifier /flags F /driver Name.sys` stores it on Windows: it takes
/// effect at the next boot. This kernel implements Pool Tracking (flag 0x8) only.
public struct VerifierSetting: Sendable, Equatable, Codable {
  /// Pool Tracking: each outstanding allocation of the driver is recorded with its caller, and unloading the driver
  /// with allocations outstanding bug-checks 0xC4 / 0x62.
  public static let poolTracking: UInt32 = 0x8
  /// The flags this kernel implements.
  public static let supportedFlags: UInt32 = poolTracking
  /// Longest image name accepted (the driver entry keeps it in UTF-16 in a fixed slot).
  public static let maxNameLength = 60

  /// The image name (`Abc.sys`), matched case-insensitively against loaded modules' image names.
  public var driver: String
  public var flags: UInt32

  public init(driver: String, flags: UInt32) {
    self.driver = driver
    self.flags = flags
  }

  /// Why a setting is refused.
  public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
    case badName(String)
    case unsupportedFlags(UInt32)
    case malformed(String)

    public var description: String {
      switch self {
      case .badName(let name):
        "'\(name)': not a driver image name (1 to \(VerifierSetting.maxNameLength) printable ASCII characters, no"
          + " spaces, ':' or '\\')"
      case .unsupportedFlags(let flags):
        "flags 0x\(String(flags, radix: 16)): this kernel's Driver Verifier implements Pool Tracking (0x8) only"
      case .malformed(let text): "'\(text)': expected Name.sys:0xFLAGS (for example Abc.sys:0x8)"
      }
    }
  }

  /// A checked setting: the name printable ASCII without separators, the flags exactly Pool Tracking.
  public static func validated(driver: String, flags: UInt32) throws(Problem) -> VerifierSetting {
    let bytes = Array(driver.utf8)
    guard (1...maxNameLength).contains(bytes.count),
      bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "\\") })
    else { throw .badName(driver) }
    guard flags != 0, flags & ~supportedFlags == 0 else { throw .unsupportedFlags(flags) }
    return VerifierSetting(driver: driver, flags: flags)
  }

  /// `Name.sys:0x8` (the flags in hex with or without 0x, or decimal with 0n), as `kdserver --verifier` takes it.
  public static func parse(_ text: String) throws(Problem) -> VerifierSetting {
    guard let colon = text.lastIndex(of: ":") else { throw .malformed(text) }
    let name = String(text[..<colon])
    let value = text[text.index(after: colon)...]
    let flags: UInt32?
    if value.hasPrefix("0n") {
      flags = UInt32(value.dropFirst(2))
    } else {
      flags = UInt32(value.hasPrefix("0x") || value.hasPrefix("0X") ? value.dropFirst(2) : value, radix: 16)
    }
    guard let flags else { throw .malformed(text) }
    return try validated(driver: name, flags: flags)
  }

  /// Whether `imageName` is this setting's driver (case-insensitive, as Windows compares image names).
  public func matches(imageName: String) -> Bool { driver.lowercased() == imageName.lowercased() }
}
