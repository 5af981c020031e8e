/// `!verifier [Flags [Image]]`, `!verifier 0x80 [Quantity|Address]`: Driver Verifier's state, from the target's
/// memory (nt!MmVerifierData, nt!MiSuspectDriverList and each driver's pool hash; nt!ViPoolLog for 0x80), in KD's
/// layouts. Bit 0 (0x1) adds each verified driver's pool counters, bit 1 (0x2, with 0x1) its outstanding
/// allocations with their callers' return addresses: `!verifier 3 Abc.sys` is the leak hunt's view. 0x80 shows the
/// pool Allocate/Free log, newest first: a Quantity of records, or those whose block holds Address (an argument
/// at or above 0x80000000 is an address). The other logs KD's !verifier shows (fault injection 4, IRQL 8, IRPs
/// 0x40/0x100, critical regions 0x200, cancelled IRPs 0x400) are not kept by this kernel.
enum VerifierCommand: Command {
  static let names = ["!verifier"]
  static let summary = "!verifier [Flags [Image]] | 0x80 [Quantity|Address]   Driver Verifier state, pool tracking"

  /// The Verify Level bits and the option names KD prints for them.
  static let options: [(UInt32, String)] = [
    (0x1, "Special pool"), (0x2, "Special irql"), (0x4, "Inject random low-resource API failures"),
    (0x8, "All pool allocations checked on unload"), (0x10, "Io subsystem checking enabled"),
    (0x20, "Deadlock detection enabled"), (0x80, "DMA checking enabled"), (0x100, "Security checks enabled"),
    (0x800, "Miscellaneous checks enabled"),
  ]

  struct DriverView: Codable, Sendable {
    var driver: VerifierData.Driver
    var loaded: Bool
    var allocations: [VerifierData.Allocation]?
  }

  struct Output: CommandOutput {
    var flags: UInt32
    var image: String?
    var data: VerifierData.Counters
    var drivers: [DriverView]

    var lines: [String] {
      var out = ["", "Verify Level \(String(data.level, radix: 16)) ... enabled options are:"]
      for (bit, name) in VerifierCommand.options where data.level & bit != 0 { out.append("    \(name)") }
      func row(_ label: String, _ v: UInt32) -> String { label.rightPadded(to: 39) + "0x" + String(v, radix: 16) }
      func up(_ v: UInt32) -> String { String(v, radix: 16).uppercased().leftPadded(to: 8, with: "0") }
      let p = data.pool
      out += [
        "", "Summary of All Verifier Statistics", "", row("RaiseIrqls", data.raiseIrqls),
        row("AcquireSpinLocks", data.acquireSpinLocks), row("Synch Executions", data.synchronizeExecutions),
        row("Trims", data.trims), "", row("Pool Allocations Attempted", data.allocationsAttempted),
        row("Pool Allocations Succeeded", data.allocationsSucceeded),
        row("Pool Allocations Succeeded SpecialPool", data.allocationsSucceededSpecialPool),
        row("Pool Allocations With NO TAG", data.allocationsWithNoTag),
        row("Pool Allocations Failed", data.allocationsFailed),
        "Resource Allocations Failed Deliberately   0x" + String(data.allocationsFailedDeliberately, radix: 16), "",
        row("Current paged pool allocations", p.currentPagedAllocations) + " for \(up(p.pagedBytes)) bytes",
        row("Peak paged pool allocations", p.peakPagedAllocations) + " for \(up(p.peakPagedBytes)) bytes",
        row("Current nonpaged pool allocations", p.currentNonPagedAllocations) + " for \(up(p.nonPagedBytes)) bytes",
        row("Peak nonpaged pool allocations", p.peakNonPagedAllocations) + " for \(up(p.peakNonPagedBytes)) bytes",
        "", "Driver Verification List", "", "Entry     State           NonPagedPool   PagedPool   Module", "",
      ]
      for d in drivers {
        let c = d.driver.pool
        out.append(
          "\(Hex.d8(d.driver.entry)) \((d.loaded ? "Loaded" : "Unloaded").rightPadded(to: 17))"
            + "\(Hex.d8(c.nonPagedBytes))       \(Hex.d8(c.pagedBytes))    \(d.driver.name)")
        guard flags & 1 != 0 else { continue }
        out += [
          "",
          "Current Pool Allocations  \(Hex.d8(c.currentNonPagedAllocations))    \(Hex.d8(c.currentPagedAllocations))",
          "Current Pool Bytes        \(Hex.d8(c.nonPagedBytes))    \(Hex.d8(c.pagedBytes))",
          "Peak Pool Allocations     \(Hex.d8(c.peakNonPagedAllocations))    \(Hex.d8(c.peakPagedAllocations))",
          "Peak Pool Bytes           \(Hex.d8(c.peakNonPagedBytes))    \(Hex.d8(c.peakPagedBytes))",
        ]
        if let allocations = d.allocations {
          out += ["", "PoolAddress  SizeInBytes    Tag       CallersAddress"]
          for a in allocations {
            out.append(
              "\(Hex.d8(a.address))     0x\(Hex.d8(a.bytes))     \(Ascii.tag(a.tag & 0x7fff_ffff))      \(Hex.d8(a.caller))"
            )
          }
        }
        out.append("")
      }
      return out
    }
  }

  /// `!verifier 0x80`: the pool Allocate/Free log.
  struct LogOutput: CommandOutput {
    struct Record: Codable, Sendable {
      var record: VerifierPoolLog.Record
      var symbols: [String?]
    }
    var capacity: UInt32
    @HexString var address: UInt32?
    var quantity: UInt32?
    var records: [Record]

    var lines: [String] {
      var out: [String] = []
      if let address {
        out.append("Parsing \(Hex.d8(capacity)) array entries, searching for address \(Hex.d8(address)).")
      } else {
        out.append(
          "Parsing \(Hex.d8(capacity)) array entries, displaying the most recent \(Hex.d8(quantity ?? capacity)).")
      }
      for r in records {
        out += [
          "", "Pool block \(Hex.d8(r.record.block)), Size \(Hex.d8(r.record.size)), Thread \(Hex.d8(r.record.thread))",
        ]
        for (f, s) in zip(r.record.frames, r.symbols) { out.append(Hex.d8(f) + (s.map { " " + $0 } ?? "")) }
      }
      if records.isEmpty {
        out += ["", "No pool Allocate/Free log entries" + (address == nil ? "." : " for that address.")]
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    var flags: UInt32 = 0
    if !p.atEnd {
      let value = try p.parse()
      guard let f = UInt32(exactly: value) else { throw .message("!verifier: flags \(Hex.value(value)) out of range") }
      flags = f
    }
    p.skipSpaces()
    let rest = p.rest.trimmingSpaces
    if flags == 0x80 { return try log(rest, inv: inv, session: session) }
    if [4, 8, 0x20, 0x40, 0x100, 0x200, 0x400, 0x800].contains(flags) {
      throw .message("!verifier \(Hex.value(UInt64(flags))): this kernel's Driver Verifier does not keep that log")
    }
    let data = try VerifierData.read(session)
    try session.ensureModules()
    var views: [DriverView] = []
    for d in data.drivers where rest.isEmpty || d.name.lowercased() == rest.lowercased() {
      let loaded = d.loads > d.unloads && session.symbols.modules.contains { $0.base == d.start }
      let allocations = flags & 3 == 3 ? try VerifierData.allocations(of: d, session) : nil
      views.append(DriverView(driver: d, loaded: loaded, allocations: allocations))
    }
    if !rest.isEmpty, views.isEmpty {
      throw .message("\(rest) is not in the Driver Verification List (see .verifier; settings take effect at .reboot)")
    }
    return Output(flags: flags, image: rest.isEmpty ? nil : rest, data: data.counters, drivers: views)
  }

  private static func log(_ rest: String, inv: Invocation, session: Session) throws(CommandError) -> any CommandOutput {
    var argument: UInt32?
    if !rest.isEmpty {
      var p = ExpressionParser(rest, context: session)
      let value = try p.parse()
      guard p.atEnd, let v = UInt32(exactly: value & 0xffff_ffff) else { throw .syntax(position: inv.argumentsStart) }
      argument = v
    }
    let log = try VerifierPoolLog.read(session)
    let address = argument.flatMap { $0 >= 0x8000_0000 ? $0 : nil }
    var picked: [VerifierPoolLog.Record]
    if let address {
      picked = log.records.filter { address >= $0.block && address - $0.block < max($0.size, 1) }
    } else {
      picked = Array(log.records.prefix(Int(argument ?? log.capacity)))
    }
    var records: [LogOutput.Record] = []
    for r in picked {
      var symbols: [String?] = []
      for f in r.frames { symbols.append(try session.describe(f)) }
      records.append(LogOutput.Record(record: r, symbols: symbols))
    }
    return LogOutput(
      capacity: log.capacity, address: address, quantity: address == nil ? argument : nil, records: records)
  }
}
