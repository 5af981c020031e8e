/// Facts the debugger asks for once on connect (KD's DBGKD_GET_VERSION).
public struct KernelVersion: Sendable, Equatable {
  public var kernelBase: UInt32
  public var psLoadedModuleList: UInt32
  public var machineType: UInt16 = 0x14c
  public var processors: UInt32 = 1
  public var majorVersion: UInt16 = 0xf  // free build
  public var build: UInt16 = 2600
  /// KdpDebuggerDataListHead, whose first entry is KdDebuggerDataBlock (GetVersion's DebuggerDataList).
  public var debuggerDataList: UInt32 = 0
  /// nt!KdVersionBlock: this record as KD's DBGKD_GET_VERSION64 in the kernel's memory (a kdcom target's answer).
  public var versionBlock: UInt32 = 0
}

/// A loaded module as KD's `lm` shows it.
public struct ModuleInfo: Sendable, Equatable {
  /// "nt", "Abc".
  public var name: String
  /// "ntoskrnl.exe", "Abc.sys".
  public var imageName: String
  public var base: UInt32
  public var size: UInt32
  public var checksum: UInt32
  public var timestamp: UInt32
  /// Address of its LDR_DATA_TABLE_ENTRY in kernel memory.
  public var ldrEntry: UInt32
}

/// A symbol of a loaded module: undecorated name ("ExAllocatePoolWithTag", "PoolHitTag", "AbcLogEvent").
public struct KernelSymbol: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case function, data }
  public var name: String
  public var address: UInt32
  public var size: UInt32
  public var kind: Kind
  /// File-local (a C `static`).
  public var isStatic: Bool
}

public struct ThreadInfo: Sendable, Equatable {
  public enum State: Sendable, Equatable { case running, ready, waiting, terminated, idle }
  /// Thread id (CID), a multiple of 4 like Windows.
  public var id: UInt32
  public var kthread: UInt32
  public var state: State
  public var pc: UInt32
  public var startRoutine: UInt32
  public var stackBase: UInt32
  public var stackLimit: UInt32
}

/// What `queryRegion` knows about an address.
public struct MemoryRegion: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case image(module: String)
    case nonPagedPool
    case pagedPool
    case stack(thread: UInt32)
    case kernelData
    case processorControlRegion
  }
  public var base: UInt32
  public var size: UInt32
  public var writable: Bool
  public var executable: Bool
  public var kind: Kind
}

public struct MemoryRead: Sendable, Equatable {
  /// Bytes up to the first unreadable one.
  public var bytes: [UInt8]
  /// The first unreadable address if the read came back short.
  public var faultAddress: UInt32?
}

public struct MemoryWrite: Sendable, Equatable {
  public var written: Int
  public var faultAddress: UInt32?
}
