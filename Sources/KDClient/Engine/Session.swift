import Foundation

/// A debugging session's state over one target: modules and symbols, breakpoints, the current break,
/// where `d*` and `u` continue, the open log. Confined to the thread that drives the `Debugger`.
final class Session {
  let target: DebugTarget
  var symbols = SymbolTable()
  var modulesLoaded = false
  /// A driver `.unload` asked the target to unload: the module list is read again at each break until it is gone.
  var pendingUnload: String?
  private var cachedVersion: TargetVersion?
  var breakpoints: [Int: Breakpoint] = [:]
  /// The `d*` format and address the next bare `d*` continues from.
  var lastDisplay: (command: String, next: UInt32)?
  var nextUnassemble: UInt32?
  var log: LogFile?
  /// The width of the prompt the line was typed at (for caret errors).
  var promptWidth = 4
  /// Set by the console's Ctrl+C handler or a script's timeout; polled while the target runs.
  var interruptRequested: () -> Bool = { false }
  /// When a run must give up waiting for a break (scripts' `--timeout`); nil = wait forever.
  var deadline: ContinuousClock.Instant?
  /// Set by `q` / `.detach`.
  var ended = false
  /// Register edits made at this break (KD keeps them until `g`).
  var contextOverride: X86Context?
  /// Where long text output goes as it is produced (the console and scripts, not `--json`); nil = commands
  /// return their whole output.
  var stream: ((String) -> Void)?
  /// Reports a result produced inside a command (breakpoint hits that `g` runs through).
  var emit: (CommandResult) -> Void = { _ in }
  /// Told each time a command lets the target run (not single steps): `--json`'s `running` event.
  var onRunning: () -> Void = {}
  /// The frame count `k` uses when none is given (`.kframes`).
  var defaultFrameCount = 256
  /// The frame `.frame` selected at this break (reset at each break).
  var currentFrame = 0
  /// The last break event and when the debugger received it (`.lastevent`).
  var lastEvent: (event: BreakEvent, receivedAt: Date)?
  /// PoolMon state of `!poolmon` (its previous sample).
  var poolMon = PoolMon()
  /// Script nesting and breakpoint-command state (Engine/ScriptRunner.swift).
  var scripting = ScriptingState()
  /// `$t0`–`$t19` (Engine/PseudoRegisters.swift).
  var pseudoRegisters = PseudoRegisters()
  /// `!poolsites -snap` snapshots by name (ours).
  var poolSiteSnapshots: [String: PoolSiteListing] = [:]
  /// What `!pooltrace` has received (ours).
  var poolTrace = PoolTraceRecording()
  private var disassemblerStorage: Disassembler?

  init(target: DebugTarget) {
    self.target = target
  }

  /// Throws `.cancelled` when Ctrl+C was pressed since the command started (long loops call this).
  func checkCancelled() throws(CommandError) {
    if interruptRequested() { throw .cancelled }
  }

  func version() throws(CommandError) -> TargetVersion {
    if let cachedVersion { return cachedVersion }
    let v = try targetCall { () throws(TargetError) in try target.version() }
    cachedVersion = v
    return v
  }

  var disassembler: Disassembler {
    if let d = disassemblerStorage { return d }
    let d = Disassembler()
    disassemblerStorage = d
    return d
  }

  /// The break the target sits at, or nil while it runs.
  var currentEvent: BreakEvent? {
    if case .halted(let e) = target.state { return e }
    return nil
  }

  /// The register context of the current break (with `r` edits), or an error while running.
  func currentContext() throws(CommandError) -> X86Context {
    guard let e = currentEvent else { throw .target(.notHalted(operation: "registers")) }
    return contextOverride ?? e.context
  }

  /// `kd> ` or `N: kd> ` on a multiprocessor target.
  var prompt: String {
    if let e = currentEvent, e.processors > 1 { return "\(e.processor): kd> " }
    if let v = cachedVersion, v.processors > 1 { return "0: kd> " }
    return "kd> "
  }

  /// Runs a target primitive, turning its error into a command error.
  func targetCall<T>(_ body: () throws(TargetError) -> T) throws(CommandError) -> T {
    do { return try body() } catch { throw .target(error) }
  }

  // MARK: memory

  /// `count` bytes from `address`; nil for each unreadable byte (reads resume at the next page).
  func readBytes(_ address: UInt32, count: Int) throws(CommandError) -> [UInt8?] {
    var out: [UInt8?] = []
    out.reserveCapacity(count)
    var a = address
    while out.count < count {
      let want = count - out.count
      let got = try targetCall { () throws(TargetError) in try target.readVirtual(a, count: want) }
      out.append(contentsOf: got.map { Optional($0) })
      if got.count >= want { break }
      let bad = a &+ UInt32(got.count)
      let pageEnd = UInt64(bad & ~0xfff) + 0x1000
      let skip = min(Int(pageEnd - UInt64(bad)), count - out.count)
      out.append(contentsOf: repeatElement(nil, count: skip))
      a = bad &+ UInt32(skip)
      if a < bad { break }
    }
    return Array(out.prefix(count))
  }

  /// Exactly `count` readable bytes, or nil.
  func readExact(_ address: UInt32, count: Int) throws(CommandError) -> [UInt8]? {
    let got = try targetCall { () throws(TargetError) in try target.readVirtual(address, count: count) }
    return got.count == count ? got : nil
  }

  func readU32(_ address: UInt32) throws(CommandError) -> UInt32? {
    try readExact(address, count: 4).map { $0.u32(at: 0) }
  }

  /// A global of `nt` by name, e.g. `PoolTrackTable`; nil when the symbol is unknown.
  func ntSymbol(_ name: String) throws(CommandError) -> UInt32? {
    try resolveSymbol("nt!" + name)
  }

  // MARK: modules and symbols

  /// Walks nt!PsLoadedModuleList in target memory (LDR_DATA_TABLE_ENTRY) and replaces the module list.
  func reloadModules(loadSymbols: Bool) throws(CommandError) {
    let head = try version().psLoadedModuleList
    var modules: [Module] = []
    guard var link = try readU32(head) else { throw .message("Unable to read PsLoadedModuleList at \(Hex.d8(head))") }
    var seen = Set<UInt32>()
    while link != head, link != 0, seen.insert(link).inserted, modules.count < 4096 {
      guard let entry = try readExact(link, count: 0x48) else {
        throw .message("Unable to read LDR_DATA_TABLE_ENTRY at \(Hex.d8(link))")
      }
      let image = try readUnicodeString(entry, at: 0x2c)
      let full = try readUnicodeString(entry, at: 0x24)
      modules.append(
        Module(
          name: Module.moduleName(forImage: image), imageName: image, fullPath: full, base: entry.u32(at: 0x18),
          size: entry.u32(at: 0x20), checkSum: entry.u32(at: 0x40), timeDateStamp: entry.u32(at: 0x44), symbols: nil))
      link = entry.u32(at: 0)
    }
    symbols = SymbolTable(modules: modules)
    modulesLoaded = true
    if loadSymbols {
      for i in symbols.modules.indices { try self.loadSymbols(moduleAt: i) }
    }
  }

  private func readUnicodeString(_ entry: [UInt8], at offset: Int) throws(CommandError) -> String {
    let length = Int(entry.u16(at: offset))
    let buffer = entry.u32(at: offset + 4)
    guard length > 0, let bytes = try readExact(buffer, count: length) else { return "" }
    let units = stride(from: 0, to: bytes.count - 1, by: 2).map { bytes.u16(at: $0) }
    return String(decoding: units, as: UTF16.self)
  }

  func ensureModules() throws(CommandError) {
    if !modulesLoaded { try reloadModules(loadSymbols: false) }
  }

  func loadSymbols(moduleAt index: Int) throws(CommandError) {
    guard symbols.modules[index].symbols == nil else { return }
    let base = symbols.modules[index].base
    let records = try targetCall { () throws(TargetError) in try target.symbols(moduleBase: base) }
    let file = try targetCall { () throws(TargetError) in try target.symbolFile(moduleBase: base) }
    symbols.setSymbols(records, from: file, forModuleAt: index)
  }

  func loadAllSymbols() throws(CommandError) {
    try ensureModules()
    for i in symbols.modules.indices { try loadSymbols(moduleAt: i) }
  }

  /// `module!func+0xoff` for an address (loading symbols as needed); nil outside every module.
  func describe(_ address: UInt32) throws(CommandError) -> String? {
    try ensureModules()
    if let i = symbols.modules.firstIndex(where: { $0.contains(address) }) { try loadSymbols(moduleAt: i) }
    return symbols.describe(address)
  }

  /// `describe`, or the bare 8-digit address.
  func symbolOrAddress(_ address: UInt32) throws(CommandError) -> String {
    try describe(address) ?? Hex.d8(address)
  }

  func invalidateTargetState() {
    symbols = SymbolTable()
    modulesLoaded = false
    cachedVersion = nil
    contextOverride = nil
    lastDisplay = nil
    nextUnassemble = nil
  }
}

extension Session: ExpressionContext {
  func resolveSymbol(_ name: String) throws(CommandError) -> UInt32? {
    try ensureModules()
    if let bang = name.firstIndex(of: "!") {
      let moduleName = String(name[..<bang])
      let symbolName = String(name[name.index(after: bang)...])
      guard let i = symbols.index(ofModuleNamed: moduleName) else { return nil }
      if symbolName.isEmpty { return nil }
      try loadSymbols(moduleAt: i)
      return SymbolTable.lookup(symbolName, in: symbols.modules[i])?.address
    }
    if let m = symbols.module(named: name) { return m.base }
    for i in symbols.modules.indices {
      try loadSymbols(moduleAt: i)
      if let s = SymbolTable.lookup(name, in: symbols.modules[i]) { return s.address }
    }
    return nil
  }

  func registerValue(_ name: String) throws(CommandError) -> UInt32? {
    let lower = name.lowercased()
    if let v = try pseudoRegister(lower) { return v }
    let known = X86Context.registerNames.contains(lower) || X86Context()[register: lower] != nil
    guard known || lower == "$ip" || lower == "$csp" else { return nil }
    let c = try currentContext()
    if lower == "$csp" { return c.esp }
    return c[register: lower]
  }

  func readInteger(_ address: UInt32, size: Int) throws(CommandError) -> UInt64? {
    guard let b = try readExact(address, count: size) else { return nil }
    return b.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
  }
}
