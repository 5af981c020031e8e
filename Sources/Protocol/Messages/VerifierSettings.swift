/// VerifierSettingsApi (0x3180, new): Driver Verifier's settings for the next boot (ours; `.verifier`, mirroring
/// `verifier.exe` on a target). Stored settings take effect at the next reboot, as on Windows.
///
/// u: `Operation u32 @16` (0 query, 1 store, 2 reset), `Count u32 @20`, `ActiveCount u32 @24` (out; 0 in a
/// request). Data: Count × Setting (request: the settings to store, a driver already stored gets the new flags;
/// reply: every stored setting), then ActiveCount × Setting (reply: the settings in effect since the last boot).
/// Setting: `Flags u32`, `Name 64 bytes` (ASCII image name, NUL-padded).
public struct VerifierSettings: ManipulateBody {
  public static let api = ApiNumber.verifierSettings
  public static let nameSize = 64
  public static let settingSize = 4 + nameSize

  public enum Operation: UInt32, Sendable {
    case query = 0
    case store = 1
    case reset = 2
  }

  public struct Setting: Equatable, Sendable {
    public var flags: UInt32
    public var name: String

    public init(flags: UInt32, name: String) {
      self.flags = flags
      self.name = name
    }
  }

  public var operation: Operation
  public var settings: [Setting]
  public var active: [Setting]

  public init(operation: Operation, settings: [Setting] = [], active: [Setting] = []) {
    self.operation = operation
    self.settings = settings
    self.active = active
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    operation = try u.enumeration(Operation.self, field: "Operation")
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    let active = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    let (total, overflow) = count.addingReportingOverflow(active)
    guard !overflow, total <= d.remaining / Self.settingSize, d.remaining == total * Self.settingSize else {
      throw .lengthMismatch(
        field: "Count", expected: overflow ? Int.max : total &* Self.settingSize, found: d.remaining, offset: countAt)
    }
    func setting() throws(PayloadError) -> Setting {
      let flags = try d.u32()
      let at = d.absoluteOffset
      let bytes = try d.bytes(Self.nameSize)
      let name = bytes.prefix { $0 != 0 }
      if let bad = name.firstIndex(where: { $0 < 0x20 || $0 >= 0x7f }) {
        throw .invalidValue(field: "Name", found: UInt64(name[bad]), offset: at + bad)
      }
      // NUL-terminated within the field, and NUL-padded: one encoding per setting.
      if name.count == Self.nameSize {
        throw .invalidValue(
          field: "Name (no NUL)", found: UInt64(bytes[Self.nameSize - 1]), offset: at + Self.nameSize - 1)
      }
      if let pad = bytes[name.count...].firstIndex(where: { $0 != 0 }) {
        throw .invalidValue(field: "Name padding", found: UInt64(bytes[pad]), offset: at + pad)
      }
      return Setting(flags: flags, name: String(decoding: name, as: UTF8.self))
    }
    settings = []
    for _ in 0..<count { settings.append(try setting()) }
    self.active = []
    for _ in 0..<active { self.active.append(try setting()) }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(operation.rawValue)
    u.u32(UInt32(settings.count))
    u.u32(UInt32(active.count))
    for s in settings + active {
      d.u32(s.flags)
      let name = Array(s.name.utf8.prefix(Self.nameSize - 1))
      d.append(name)
      d.zeros(Self.nameSize - name.count)
    }
  }
}
