/// `.verifier [/flags Flags /driver Image...] | /reset | /query` (ours; KD has no such command): Driver Verifier's
/// settings on the target, as `verifier.exe` run on the target keeps them. `/flags 0x8 /driver Abc.sys` stores
/// Pool Tracking for Abc.sys; `/reset` clears every setting; without arguments (or `/query`) lists the settings
/// stored and those in effect. Stored settings take effect at the next boot (`.reboot`), as on Windows; then
/// `!verifier 3 Abc.sys` lists the driver's outstanding allocations and unloading it with allocations outstanding
/// bug-checks 0xC4 / 0x62.
enum VerifierSettingsCommand: Command {
  static let names = [".verifier"]
  static let summary =
    ".verifier [/flags F /driver Name.sys... | /reset]   Driver Verifier settings, at the next .reboot (ours)"

  /// The flags this target's Driver Verifier implements: Pool Tracking.
  static let supportedFlags: UInt32 = 0x8
  static let maxName = 60

  struct Output: CommandOutput {
    var stored: [VerifierSettingList.Setting]
    var active: [VerifierSettingList.Setting]

    var lines: [String] {
      func rows(_ settings: [VerifierSettingList.Setting]) -> [String] {
        settings.isEmpty
          ? ["    (none)"]
          : settings.map {
            "    \($0.driver.rightPadded(to: 16)) flags 0x\(String($0.flags, radix: 16))" + names($0.flags)
          }
      }
      var out = [
        "Driver Verifier settings (ours: as verifier.exe keeps them on the target)", "Stored for the next boot:",
      ]
      out += rows(stored)
      out.append("In effect since the last boot:")
      out += rows(active)
      if stored != active {
        out.append("The system reboot is required for the changes to take effect.")
      }
      return out
    }

    private func names(_ flags: UInt32) -> String {
      let named = VerifierCommand.options.filter { flags & $0.0 != 0 }.map(\.1)
      return named.isEmpty ? "" : " (" + named.joined(separator: ", ") + ")"
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let words = inv.arguments.split(separator: " ").map(String.init)
    let operation: VerifierSettingsOperation
    switch words.first?.lowercased() {
    case nil, "/query", "/querysettings": operation = .query
    case "/reset": operation = .reset
    case "/flags":
      guard words.count >= 4, words[2].lowercased() == "/driver" else {
        throw .message(".verifier: expected /flags Flags /driver Name.sys [Name.sys...]")
      }
      guard let flags = ExpressionParser.number(words[1]).flatMap({ UInt32(exactly: $0) }) else {
        throw .message(".verifier: '\(words[1])' is not a number")
      }
      guard flags != 0, flags & ~supportedFlags == 0 else {
        throw .message(
          ".verifier: flags 0x\(String(flags, radix: 16)): this target's Driver Verifier implements Pool Tracking"
            + " (0x8) only")
      }
      var settings: [VerifierSettingList.Setting] = []
      for name in words[3...] {
        let bytes = Array(name.utf8)
        guard (1...maxName).contains(bytes.count), !bytes.contains(UInt8(ascii: ":")),
          !bytes.contains(UInt8(ascii: "\\")), bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
        else { throw .message(".verifier: '\(name)' is not a driver image name (1 to \(maxName) characters)") }
        settings.append(.init(driver: name, flags: flags))
      }
      operation = .store(settings)
    default:
      throw .message(".verifier: expected /flags Flags /driver Name.sys..., /reset or /query")
    }
    let list = try session.targetCall { () throws(TargetError) in try session.target.verifierSettings(operation) }
    return Output(stored: list.stored, active: list.active)
  }
}
