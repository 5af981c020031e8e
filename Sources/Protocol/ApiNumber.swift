/// KD's DbgKd*Api numbers (windbgkd.h) for the operations KD has, and new numbers from 0x3170 for the ones it
/// does not. An open set: unknown numbers decode and get STATUS_NOT_IMPLEMENTED.
public struct ApiNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  init(_ rawValue: UInt32) { self.rawValue = rawValue }

  public static let readVirtualMemory = ApiNumber(0x3130)
  public static let writeVirtualMemory = ApiNumber(0x3131)
  public static let getContext = ApiNumber(0x3132)
  public static let setContext = ApiNumber(0x3133)
  public static let writeBreakPoint = ApiNumber(0x3134)
  public static let restoreBreakPoint = ApiNumber(0x3135)
  public static let `continue` = ApiNumber(0x3136)
  public static let reboot = ApiNumber(0x313B)
  public static let continue2 = ApiNumber(0x313C)
  public static let getVersion = ApiNumber(0x3146)
  public static let writeBreakPointEx = ApiNumber(0x3147)
  public static let restoreBreakPointEx = ApiNumber(0x3148)
  public static let searchMemory = ApiNumber(0x3156)
  public static let queryMemory = ApiNumber(0x315C)
  // New operations, outside KD's manipulate range (0x3130-0x3161).
  public static let getStackTrace = ApiNumber(0x3170)
  public static let readMemoryBatch = ApiNumber(0x3171)
  public static let listModules = ApiNumber(0x3172)
  public static let listThreads = ApiNumber(0x3173)
  public static let getSymbols = ApiNumber(0x3174)
  public static let writeDataBreakPoint = ApiNumber(0x3175)
  public static let restoreDataBreakPoint = ApiNumber(0x3176)
  public static let getPoolSites = ApiNumber(0x3177)
  public static let tagSplit = ApiNumber(0x3178)
  public static let poolTraceControl = ApiNumber(0x3179)
  public static let poolTraceSubscribe = ApiNumber(0x317A)
  public static let verifierSettings = ApiNumber(0x3180)
  public static let unloadDriver = ApiNumber(0x3181)
  public static let poolScan = ApiNumber(0x3190)
  public static let getScenarioLeaks = ApiNumber(0x3191)
  public static let haltAt = ApiNumber(0x3192)
  public static let getSymbolFile = ApiNumber(0x31A0)

  public var description: String {
    let names: [ApiNumber: String] = [
      .readVirtualMemory: "DbgKdReadVirtualMemoryApi", .writeVirtualMemory: "DbgKdWriteVirtualMemoryApi",
      .getContext: "DbgKdGetContextApi", .setContext: "DbgKdSetContextApi",
      .writeBreakPoint: "DbgKdWriteBreakPointApi", .restoreBreakPoint: "DbgKdRestoreBreakPointApi",
      .continue: "DbgKdContinueApi", .reboot: "DbgKdRebootApi", .continue2: "DbgKdContinueApi2",
      .getVersion: "DbgKdGetVersionApi", .writeBreakPointEx: "DbgKdWriteBreakPointExApi",
      .restoreBreakPointEx: "DbgKdRestoreBreakPointExApi", .searchMemory: "DbgKdSearchMemoryApi",
      .queryMemory: "DbgKdQueryMemoryApi", .getStackTrace: "GetStackTraceApi",
      .readMemoryBatch: "ReadMemoryBatchApi", .listModules: "ListModulesApi", .listThreads: "ListThreadsApi",
      .getSymbols: "GetSymbolsApi", .writeDataBreakPoint: "WriteDataBreakPointApi",
      .restoreDataBreakPoint: "RestoreDataBreakPointApi", .getPoolSites: "GetPoolSitesApi", .tagSplit: "TagSplitApi",
      .poolTraceControl: "PoolTraceControlApi", .poolTraceSubscribe: "PoolTraceSubscribeApi",
      .verifierSettings: "VerifierSettingsApi", .unloadDriver: "UnloadDriverApi",
      .poolScan: "PoolScanApi", .getScenarioLeaks: "GetScenarioLeaksApi", .haltAt: "HaltAtApi",
      .getSymbolFile: "GetSymbolFileApi",
    ]
    return names[self] ?? "ApiNumber 0x\(String(rawValue, radix: 16))"
  }
}

/// KD's state-change numbers (NewState), and ours outside KD's range.
public struct NewState: RawRepresentable, Hashable, Sendable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// DbgKdExceptionStateChange: a break (int 3, breakpoint, break-in, single step, fault, bug check).
  public static let exception = NewState(rawValue: 0x3030)
  /// DbgKdLoadSymbolsStateChange: a module was loaded or unloaded.
  public static let loadSymbols = NewState(rawValue: 0x3031)
  /// New: the target resumed running.
  public static let running = NewState(rawValue: 0x3180)
}
