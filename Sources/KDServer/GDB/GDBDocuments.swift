import KDKernel

/// The XML documents gdb reads with qXfer (libraries and threads) and the thread descriptions, computed from
/// the kernel each time they are asked for.
struct GDBDocuments {
  let hub: TargetHub

  /// Every loaded driver (nt is the executable, ``GDBSymbolFile``), as `<library name="/SystemRoot/system32/drivers/Abc.sys"><segment address="0x..."/>`:
  /// the file gdb fetches over `vFile:` (``GDBSymbolFile``) and the image's load address it relocates it to.
  func libraries() -> String {
    let modules = (try? hub.kernel.sync { control in control.modules() }) ?? []
    var xml = "<library-list>\n"
    for m in modules where m.name != "nt" {
      xml +=
        "  <library name=\"\(escape(GDBSymbolFile.path(of: m)))\"><segment address=\"0x\(String(m.base, radix: 16))\"/></library>\n"
    }
    return xml + "</library-list>\n"
  }

  /// Every thread, named after its start routine, with the state and id as `qThreadExtraInfo` gives them.
  func threads(_ threads: [ThreadInfo]) -> String {
    let names = SymbolNames(hub: hub)
    var xml = "<threads>\n"
    for t in threads where t.state != .terminated {
      xml +=
        "  <thread id=\"\(String(GDBSession.gdbID(t), radix: 16))\" core=\"0\" name=\"\(escape(names.name(t.startRoutine)))\">"
        + escape(extraInfo(t, names: names)) + "</thread>\n"
    }
    return xml + "</threads>\n"
  }

  /// `Cid 0x1c, Waiting, start Abc!AbcLogWorker`.
  func extraInfo(_ t: ThreadInfo, names: SymbolNames? = nil) -> String {
    let state =
      switch t.state {
      case .running: "Running"
      case .ready: "Ready"
      case .waiting: "Waiting"
      case .terminated: "Terminated"
      case .idle: "Idle"
      }
    return "Cid 0x\(String(t.id, radix: 16)), \(state), start \((names ?? SymbolNames(hub: hub)).name(t.startRoutine))"
  }

  private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}

/// `module!symbol+0xoff` for an address, from the modules' symbol tables (read once).
struct SymbolNames {
  private let modules: [(ModuleInfo, [KernelSymbol])]

  init(hub: TargetHub) {
    modules =
      (try? hub.kernel.sync { control in
        control.modules().map { m in (m, control.symbols(moduleBase: m.base) ?? []) }
      }) ?? []
  }

  func name(_ address: UInt32) -> String {
    guard let (module, symbols) = modules.first(where: { address >= $0.0.base && address - $0.0.base < $0.0.size })
    else { return "0x" + String(address, radix: 16) }
    guard let symbol = symbols.filter({ $0.address <= address }).max(by: { $0.address < $1.address }) else {
      return "\(module.name)+0x\(String(address - module.base, radix: 16))"
    }
    let offset = address - symbol.address
    return "\(module.name)!\(symbol.name)" + (offset == 0 ? "" : "+0x\(String(offset, radix: 16))")
  }
}
