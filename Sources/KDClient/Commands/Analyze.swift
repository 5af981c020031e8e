/// `!analyze [-v]`: on a bug-checked target, the bug check from `nt!KiBugCheckData` (code and four arguments, read
/// from target memory), its name, the arguments (described where docs/KERNEL.md says what this kernel puts in them),
/// the faulting module (the first frame outside `nt`) and the stack in `kb`'s layout. On a target that is not
/// bug-checked (`KiBugCheckData` holds 0) it says so.
enum Analyze: Command {
  static let names = ["!analyze"]
  static let summary = "!analyze [-v]   bug-check analysis: name, arguments, faulting module, stack"

  static let banner = [
    "*******************************************************************************",
    "*                                                                             *",
    "*                        Bugcheck Analysis                                    *",
    "*                                                                             *",
    "*******************************************************************************",
  ]

  /// The bug checks this kernel can raise (docs/KERNEL.md, "What the services check" and the fault table), and
  /// those a driver can ask for with KeBugCheckEx that the kernel's checks name.
  static let bugCheckNames: [UInt32: String] = [
    0x0a: "IRQL_NOT_LESS_OR_EQUAL", 0x19: "BAD_POOL_HEADER", 0x1e: "KMODE_EXCEPTION_NOT_HANDLED",
    0x50: "PAGE_FAULT_IN_NONPAGED_AREA", 0x7e: "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
    0x7f: "UNEXPECTED_KERNEL_MODE_TRAP", 0x8e: "KERNEL_MODE_EXCEPTION_NOT_HANDLED", 0xc2: "BAD_POOL_CALLER",
    0xc4: "DRIVER_VERIFIER_DETECTED_VIOLATION",
  ]

  struct Output: CommandOutput {
    @HexString var code: UInt32?
    var name: String?
    @HexString var arguments: [UInt32]
    var descriptions: [String?]
    /// Lines KD prints after the arguments (0xC4 / 0x62: where to look next).
    var notes: [String] = []
    var faultingModule: String?
    var imageName: String?
    var stack: StackTrace.Output?

    var lines: [String] {
      guard let code else {
        return ["The target is not bug-checked (nt!KiBugCheckData holds 0): there is no bug check to analyze."]
      }
      var out = Analyze.banner + [""]
      out.append("\(name ?? "Unknown bugcheck code") (\(String(code, radix: 16)))")
      out.append("Arguments:")
      for (i, a) in arguments.enumerated() {
        let d = i < descriptions.count ? descriptions[i] : nil
        out.append("Arg\(i + 1): \(Hex.d8(a))" + (d.map { ", " + $0 } ?? ""))
      }
      out += notes.map { "\t" + $0 }
      out.append("")
      if let stack {
        out.append("STACK_TEXT:  ")
        out.append(contentsOf: stack.lines.dropFirst())
        out.append("")
      }
      if let faultingModule {
        out.append("MODULE_NAME: \(faultingModule)")
        out.append("")
        if let imageName { out.append("IMAGE_NAME:  \(imageName)") }
        out.append("")
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let args = inv.arguments
    guard args.isEmpty || args == "-v" else { throw .syntax(position: inv.argumentsStart + 1) }
    guard let data = try session.ntSymbol("KiBugCheckData"), let bytes = try session.readExact(data, count: 20) else {
      throw .message("Unable to read nt!KiBugCheckData")
    }
    let code = bytes.u32(at: 0)
    guard code != 0 else {
      return Output(code: nil, arguments: [], descriptions: [])
    }
    let arguments = (1...4).map { bytes.u32(at: $0 * 4) }
    var stack: StackTrace.Output?
    var module: Module?
    if session.currentEvent != nil {
      let frames = try StackTrace.frames(session, maxFrames: session.defaultFrameCount, explicitCount: false)
      stack = StackTrace.Output(style: "b", numbered: false, frames: frames)
      try session.ensureModules()
      let nt = session.symbols.modules.first
      for f in frames {
        guard let m = session.symbols.modules.first(where: { $0.contains(f.instructionPointer) }) else { continue }
        if m.base != nt?.base {
          module = m
          break
        }
      }
    }
    if code == 0xc4, arguments[0] == 0x62, let driver = try verifiedDriver(named: arguments[1], session) {
      module = driver  // the driver that leaked, named by Arg2 (the stack is nt's unload path)
    }
    return Output(
      code: code, name: bugCheckNames[code], arguments: arguments, descriptions: descriptions(code, arguments),
      notes: code == 0xc4 && arguments[0] == 0x62
        ? ["Type !verifier 3 drivername.sys for info on the allocations", "that were leaked that caused the bugcheck."]
        : [],
      faultingModule: module?.name, imageName: module?.imageName, stack: stack)
  }

  /// 0xC4 / 0x62: the loaded module whose image name is the UNICODE_STRING at `name` (Arg2).
  private static func verifiedDriver(named name: UInt32, _ session: Session) throws(CommandError) -> Module? {
    guard let header = try session.readExact(name, count: 8) else { return nil }
    let length = Int(header.u16(at: 0)) & ~1
    guard length > 0, length <= 512, let bytes = try session.readExact(header.u32(at: 4), count: length) else {
      return nil
    }
    let text = String(decoding: stride(from: 0, to: length - 1, by: 2).map { bytes.u16(at: $0) }, as: UTF16.self)
    try session.ensureModules()
    return session.symbols.modules.first { $0.imageName.lowercased() == text.lowercased() }
  }

  /// What this kernel puts in the arguments (docs/KERNEL.md); nil where it does not say.
  static func descriptions(_ code: UInt32, _ a: [UInt32]) -> [String?] {
    switch code {
    case 0x50:
      return ["address referenced", a[1] == 0 ? "read operation" : "write operation", "eip of the access", nil]
    case 0xc2:
      let what: [UInt32: String] = [
        0x07: "attempt to free pool which was already freed", 0x0a: "freed with a tag not the block's",
        0x40: "attempt to free an address below 80000000", 0x43: "attempt to free an address in no pool",
        0x44: "attempt to free a page-aligned nonpaged address that is not a live big allocation",
        0x50: "attempt to free a page-aligned paged address that is not a live big allocation",
        0x99: "attempt to free pool with an invalid address or pool type",
        0x9a: "attempt to allocate with a must-succeed pool type",
      ]
      return [what[a[0]], nil, nil, nil]
    case 0xc4 where a[0] == 0x62:
      return [
        "A driver has forgotten to free its pool allocations prior to unloading.",
        "name of the driver having the issue.", "verifier internal structure with driver information.",
        "total # of (paged+nonpaged) allocations that weren't freed.",
      ]
    case 0x19:
      return [
        a[0] == 5 ? "a block's headers do not agree with its neighbour's" : nil, "pool entry", nil, "other pool entry",
      ]
    default:
      return [nil, nil, nil, nil]
    }
  }
}
