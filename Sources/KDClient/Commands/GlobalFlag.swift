/// `!gflag [+|-]Value|Abbreviation ...`: shows or edits nt!NtGlobalFlag (`!gflag +ptg` turns pool
/// tagging on; the simulated kernel, like XP, reads it at boot, so `.reboot` afterwards).
enum GlobalFlag: Command {
  static let names = ["!gflag"]
  static let summary = "!gflag [+|-]Flag ...   show or set NtGlobalFlag (+ptg: pool tagging, needs .reboot)"

  static let table: [(UInt32, String, String)] = [
    (0x1, "soe", "Stop On Exception"), (0x2, "sls", "Show Loader Snaps"), (0x4, "dic", "Debug Initial Command"),
    (0x8, "shg", "Stop on Hung GUI"), (0x10, "htc", "Enable heap tail checking"),
    (0x20, "hfc", "Enable heap free checking"),
    (0x40, "hpc", "Enable heap parameter checking"), (0x80, "hvc", "Enable heap validation on call"),
    (0x100, "ptc", "Enable pool tail checking"), (0x200, "pfc", "Enable pool free checking"),
    (0x400, "ptg", "Enable pool tagging"), (0x800, "htg", "Enable heap tagging"),
    (0x1000, "ust", "Create user mode stack trace database"),
    (0x2000, "kst", "Create kernel mode stack trace database"),
    (0x4000, "otl", "Maintain a list of objects for each type"), (0x8000, "htd", "Enable heap tagging by DLL"),
    (0x10000, "dse", "Disable stack extension"), (0x20000, "d32", "Enable debugging of Win32 Subsystem"),
    (0x40000, "ksl", "Enable loading of kernel debugger symbols"), (0x80000, "dps", "Disable paging of kernel stacks"),
    (0x100000, "scb", "Enable system critical breaks"), (0x200000, "dhc", "Disable Heap Coalesce on Free"),
    (0x400000, "ece", "Enable close exception"), (0x800000, "eel", "Enable exception logging"),
    (0x1000000, "eot", "Enable object handle type tagging"), (0x2000000, "hpa", "Enable page heap"),
    (0x4000000, "dwl", "Debug WINLOGON"), (0x8000000, "ddp", "Disable kernel mode DbgPrint output"),
    (0x1000_0000, "cse", "Early critical section event creation"), (0x2000_0000, "ltd", "Load DLLs top-down"),
    (0x4000_0000, "bhd", "Enable bad handles detection"), (0x8000_0000, "dpd", "Disable protected DLL verification"),
  ]

  struct Output: CommandOutput {
    @HexString var value: UInt32
    var changed: Bool
    var set: [String] { GlobalFlag.table.filter { value & $0.0 != 0 }.map(\.1) }
    var lines: [String] {
      ["\(changed ? "New" : "Current") NtGlobalFlag contents: 0x\(Hex.d8(value))"]
        + GlobalFlag.table.filter { value & $0.0 != 0 }.map { "    \($0.1) - \($0.2)" }
    }
    enum CodingKeys: String, CodingKey { case value, changed }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let (address, current) = try PoolData.globalFlag(session)
    let words = inv.arguments.split(separator: " ").map(String.init)
    if words.isEmpty { return Output(value: current, changed: false) }
    if words == ["-?"] { return TextOutput(table.map { "    \($0.1) - \($0.2) (0x\(String($0.0, radix: 16)))" }) }
    var value = current
    for w in words {
      let sign = w.first
      let body = sign == "+" || sign == "-" ? String(w.dropFirst()) : w
      let bits: UInt32
      if let entry = table.first(where: { $0.1 == body.lowercased() }) {
        bits = entry.0
      } else if let n = ExpressionParser.number(body), n <= 0xffff_ffff || n >> 32 == 0xffff_ffff {
        bits = UInt32(truncatingIfNeeded: n)
      } else {
        throw .message("Invalid flag '\(w)'. Use !gflag -? for the list of flags")
      }
      switch sign {
      case "+": value |= bits
      case "-": value &= ~bits
      default: value = bits
      }
    }
    let bytes = littleEndianBytes(UInt64(value), size: 4)
    let written = try session.targetCall { () throws(TargetError) in try session.target.writeVirtual(address, bytes) }
    guard written == 4 else { throw .message("Unable to write nt!NtGlobalFlag at \(Hex.d8(address))") }
    return Output(value: value, changed: true)
  }
}
