/// `.unload Name.sys` (ours; KD has no such command, Windows unloads a driver with `sc stop` or `net stop`): the
/// target starts a system thread running nt!IopUnloadDriver for the driver, which runs when the target does. The
/// driver's threads end and it leaves the module list; a driver verified with Pool Tracking that still has
/// allocations outstanding bug-checks DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4, 0x62) instead. The module list is
/// read again at the next break until the driver is gone from it.
enum UnloadDriverCommand: Command {
  static let names = [".unload"]
  static let summary = ".unload Name.sys   unload a driver when the target runs (ours)"

  struct Output: CommandOutput {
    var driver: String
    var thread: UInt32

    var lines: [String] {
      [
        "Unload of \(driver) requested (ours): thread \(String(thread, radix: 16)) runs nt!IopUnloadDriver when the"
          + " target runs (g)"
      ]
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let name = inv.arguments
    guard !name.isEmpty, !name.contains(" ") else { throw .message(".unload: expected one driver name (Abc.sys)") }
    let bytes = Array(name.utf8)
    guard bytes.count <= 64, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
      throw .message(".unload: '\(name)' is not a driver name (1 to 64 printable characters)")
    }
    let thread = try session.targetCall { () throws(TargetError) in try session.target.unloadDriver(name) }
    session.pendingUnload = name
    return Output(driver: name, thread: thread)
  }
}
