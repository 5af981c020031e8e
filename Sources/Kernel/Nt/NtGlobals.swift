/// nt's data section: kernel globals at fixed offsets, all in emulated memory (docs/KERNEL.md).
enum NtGlobals {
  static let dataOffset: UInt32 = 0x3000
  static let base = KernelLayout.ntBase + dataOffset

  static let poolHitTag = base + 0x00
  static let ntGlobalFlag = base + 0x04
  static let poolTrackTable = base + 0x08
  static let poolTrackTableSize = base + 0x0c
  static let poolBigPageTable = base + 0x10
  static let poolBigPageTableSize = base + 0x14
  static let mmNonPagedPoolStart = base + 0x18
  static let mmNonPagedPoolEnd = base + 0x1c
  static let mmPagedPoolStart = base + 0x20
  static let mmPagedPoolEnd = base + 0x24
  static let psLoadedModuleList = base + 0x28
  static let keNumberProcessors = base + 0x30
  static let ntBuildNumber = base + 0x34
  static let kiBugCheckData = base + 0x38
  static let keTickCount = base + 0x50
  /// The build lab string (`3790.srv03_sp2_rtm.070216-1710`), NUL-terminated.
  static let ntBuildLab = base + 0x60
  static let ntBuildLabSize: UInt32 = 0x40
  /// The end of the initial nonpaged pool and the start of its expansion (MmNonPagedPoolEnd ends the expansion).
  static let mmNonPagedPoolEnd0 = base + 0xe0
  static let mmNonPagedPoolExpansionStart = base + 0xe4
  /// A pointer to the unloaded-driver ring (`MmUnloadedDrivers`, 50 `_UNLOADED_DRIVERS`), and the index of
  /// its next slot (`MmLastUnloadedDriver`).
  static let mmUnloadedDrivers = base + 0xe8
  static let mmLastUnloadedDriver = base + 0xec
  /// The ring itself, and the names its entries point to (ours: in nt's data, where XP allocates from pool).
  static let unloadedDriverRing = base + 0x400
  static let unloadedDriverNames = base + 0x900
  /// nt's second data page: KdVersionBlock, KdpDebuggerDataListHead, KdDebuggerDataBlock (KdDebuggerData).
  static let debuggerDataBase = KernelLayout.ntBase + 0x4000
  /// Driver Verifier (docs/KERNEL.md, "Driver Verifier"): _MM_DRIVER_VERIFIER_DATA, the LIST_ENTRY head of the
  /// verified drivers' entries, and the pool log (ours: its address, capacity in entries, entries written).
  static let mmVerifierData = base + 0x100
  static let miSuspectDriverList = base + 0x170
  static let viPoolLog = base + 0x178
  static let viPoolLogSize = base + 0x17c
  static let viPoolLogIndex = base + 0x180

  static let initialPoolHitTag: UInt32 = 0xffff_ff0f
  static let flgPoolEnableTagging: UInt32 = 0x400

  /// (name, address, size) for the symbol table.
  static let all: [(String, UInt32, UInt32)] = [
    ("PoolHitTag", poolHitTag, 4), ("NtGlobalFlag", ntGlobalFlag, 4), ("PoolTrackTable", poolTrackTable, 4),
    ("PoolTrackTableSize", poolTrackTableSize, 4), ("PoolBigPageTable", poolBigPageTable, 4),
    ("PoolBigPageTableSize", poolBigPageTableSize, 4), ("MmNonPagedPoolStart", mmNonPagedPoolStart, 4),
    ("MmNonPagedPoolEnd", mmNonPagedPoolEnd, 4), ("MmPagedPoolStart", mmPagedPoolStart, 4),
    ("MmPagedPoolEnd", mmPagedPoolEnd, 4), ("PsLoadedModuleList", psLoadedModuleList, 8),
    ("KeNumberProcessors", keNumberProcessors, 1), ("NtBuildNumber", ntBuildNumber, 4),
    ("KiBugCheckData", kiBugCheckData, 0x14), ("KeTickCount", keTickCount, 0xc),
    ("NtBuildLab", ntBuildLab, ntBuildLabSize), ("MmNonPagedPoolEnd0", mmNonPagedPoolEnd0, 4),
    ("MmNonPagedPoolExpansionStart", mmNonPagedPoolExpansionStart, 4), ("MmUnloadedDrivers", mmUnloadedDrivers, 4),
    ("MmLastUnloadedDriver", mmLastUnloadedDriver, 4), ("KdVersionBlock", debuggerDataBase, 0x28),
    ("KdpDebuggerDataListHead", debuggerDataBase + 0x28, 8), ("KdDebuggerDataBlock", debuggerDataBase + 0x40, 0x318),
    ("MmVerifierData", mmVerifierData, 0x70),
    ("MiSuspectDriverList", miSuspectDriverList, 8), ("ViPoolLog", viPoolLog, 4), ("ViPoolLogSize", viPoolLogSize, 4),
    ("ViPoolLogIndex", viPoolLogIndex, 4),
  ]
}
