/// Everything the kernel refuses or fails at, with the evidence to act on.
public enum KernelError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A Unicorn call failed (`code` is its uc_err).
  case emulator(call: String, code: UInt32)
  /// A driver image (or its PDB) could not be loaded: which file, what is wrong and where.
  case malformedImage(file: String, reason: String)
  /// A scenario manifest could not be used.
  case malformedManifest(file: String, reason: String)
  /// A symbol a driver imports that `nt` does not export.
  case unresolvedImport(file: String, symbol: String)
  /// No scenario of that name in the scenarios directory (which holds `available`).
  case scenarioNotFound(name: String, directory: String, available: [String])
  /// None of the places the scenarios directory is looked for is a directory (``ScenarioDirectory``).
  case scenarioBundleNotFound(tried: [String])
  /// A pace (virtual seconds per wall second) that is not finite, negative, or above `maxPace`; `source`
  /// is the manifest it came from, or "configuration".
  case invalidPace(Double, source: String)
  case fileUnreadable(path: String, errno: Int32)
  /// The request needs a halted target.
  case notHalted
  /// The target stopped on a bug check; only a reboot continues it.
  case targetBugChecked(code: UInt32)
  case unknownThread(UInt32)
  case unknownBreakpoint(UInt32)
  case breakpointExists(address: UInt32, handle: UInt32)
  case breakpointUnwritable(address: UInt32)
  case tooManyBreakpoints(limit: Int)
  /// A data breakpoint x86's debug registers could not hold (size, alignment), and why.
  case invalidDataBreakpoint(address: UInt32, size: UInt32, String)
  /// Emulated memory ran out (pool or stacks).
  case outOfMemory(what: String)
  case shutDown
  /// A request about pool call sites on a kernel that does not track them (`poolSiteTracking` off).
  case poolSitesOff
  /// No loaded driver has that image name (an unload request).
  case unknownModule(String)
  /// `nt` itself cannot be unloaded.
  case moduleNotUnloadable(String)
  /// A Driver Verifier setting that cannot be stored: why.
  case invalidVerifierSetting(String)

  public var description: String {
    switch self {
    case .emulator(let call, let code): "emulator call \(call) failed with uc_err \(code)"
    case .malformedImage(let file, let reason): "\(file): malformed driver image: \(reason)"
    case .malformedManifest(let file, let reason): "\(file): malformed scenario manifest: \(reason)"
    case .unresolvedImport(let file, let symbol): "\(file): unresolved import \(symbol) (nt does not export it)"
    case .invalidPace(let pace, let source):
      "\(source): pace \(pace) is not a number of virtual seconds per wall second in 0...\(Int(KernelConfiguration.maxPace))"
    case .scenarioNotFound(let name, let directory, let available):
      "no scenario named \(name) in \(directory) (there: \(available.joined(separator: ", "))); "
        + "or give a manifest path (docs/SCENARIOS.md)"
    case .scenarioBundleNotFound(let tried):
      "no scenarios directory: tried \(tried.isEmpty ? "nothing (the executable's path is unknown)" : tried.joined(separator: ", ")); "
        + "Deploy/install.sh installs one as PREFIX/share/swift-kd/Scenarios, --scenarios DIR names another"
    case .fileUnreadable(let path, let errno): "cannot read \(path) (errno \(errno))"
    case .notHalted: "the target is running; break in first"
    case .targetBugChecked(let code): "the target bug-checked (0x\(String(code, radix: 16))); reboot it"
    case .unknownThread(let id): "no thread \(String(id, radix: 16))"
    case .unknownBreakpoint(let h): "no breakpoint with handle \(h)"
    case .breakpointExists(let a, let h): "breakpoint \(h) already set at \(String(a, radix: 16))"
    case .breakpointUnwritable(let a): "cannot write a breakpoint at \(String(a, radix: 16)) (memory not mapped)"
    case .tooManyBreakpoints(let limit): "at most \(limit) breakpoints"
    case .invalidDataBreakpoint(let a, let size, let why):
      "no data breakpoint of \(size) bytes at \(String(a, radix: 16)): \(why)"
    case .outOfMemory(let what): "out of emulated memory: \(what)"
    case .shutDown: "the kernel has shut down"
    case .poolSitesOff: "pool call sites are not tracked on this kernel"
    case .unknownModule(let name): "no loaded driver is named \(name)"
    case .moduleNotUnloadable(let name): "\(name) is the kernel itself: it cannot be unloaded"
    case .invalidVerifierSetting(let why): why
    }
  }
}
