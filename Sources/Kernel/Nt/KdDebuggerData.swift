/// What a debugger finds in nt's memory about the kernel, as XP and Server 2003 x86 lay it out: `KdVersionBlock`
/// (DBGKD_GET_VERSION64, 40 bytes, also reached from KPCR+0x34), `KdpDebuggerDataListHead` (a 32-bit LIST_ENTRY
/// whose Flink is the data block) and `KdDebuggerDataBlock` (KDDEBUGGER_DATA64: the `KDBG` header, then 64-bit
/// slots holding the addresses of the kernel variables debugger extensions read, zero-extended, as XP's own block
/// has them). The block is 0x290 bytes on XP and 0x318 on Server 2003; it is not encoded on either. A slot for
/// something this kernel does not have (processes, the PFN database, system PTEs, ...) stays 0.
enum KdDebuggerData {
  static let versionBlock = NtGlobals.debuggerDataBase
  static let listHead = NtGlobals.debuggerDataBase + 0x28
  static let dataBlock = NtGlobals.debuggerDataBase + 0x40
  static let ownerTag: UInt32 = 0x4742_444b  // 'KDBG'

  static func size(_ era: KernelEra) -> UInt32 { era.buildNumber >= 3790 ? 0x318 : 0x290 }

  /// KDDEBUGGER_DATA64 slot offsets (windbgkd.h's order) and the nt global each holds the address of.
  static let variables: [(offset: UInt32, global: UInt32)] = [
    (0x048, NtGlobals.psLoadedModuleList), (0x088, NtGlobals.kiBugCheckData),
    (0x110, NtGlobals.mmNonPagedPoolStart), (0x118, NtGlobals.mmNonPagedPoolEnd),
    (0x120, NtGlobals.mmPagedPoolStart), (0x128, NtGlobals.mmPagedPoolEnd), (0x1b8, NtGlobals.poolTrackTable),
    (0x208, NtGlobals.ntBuildLab), (0x220, NtGlobals.mmUnloadedDrivers), (0x228, NtGlobals.mmLastUnloadedDriver),
    (0x248, NtGlobals.mmVerifierData),
  ]

  /// Writes the three structures into nt's image and links the version block from the KPCR.
  static func install(in nt: NtModule, kpcr: HostMemory, era: KernelEra, version: KernelVersion) {
    // DBGKD_GET_VERSION64, as GetVersion answers it, with pointers sign-extended.
    var v: [UInt8] = []
    func u16(_ x: UInt16) { v += [UInt8(truncatingIfNeeded: x), UInt8(truncatingIfNeeded: x >> 8)] }
    func ptr64(_ x: UInt32) { for i in 0..<8 { v.append(i < 4 ? UInt8(truncatingIfNeeded: x >> (8 * i)) : 0xff) } }
    u16(version.majorVersion)
    u16(version.build)
    v += [6, 0]  // ProtocolVersion (DBGKD_64BIT_PROTOCOL_VERSION2), KdSecondaryVersion
    u16(0x2)  // Flags: DBGKD_VERS_FLAG_DATA
    u16(version.machineType)
    v += [12, 3, version.build >= 3790 ? 0x2e : 0x2d, 0, 0, 0]  // MaxPacketType, MaxStateChange, MaxManipulate
    ptr64(version.kernelBase)
    ptr64(version.psLoadedModuleList)
    ptr64(listHead)
    nt.storeBytes(versionBlock, v)

    nt.store(listHead, dataBlock)  // Flink
    nt.store(listHead + 4, dataBlock)  // Blink
    nt.store(dataBlock, listHead)  // Header.List, as a 32-bit LIST_ENTRY; its upper 8 bytes stay 0
    nt.store(dataBlock + 4, listHead)
    nt.store(dataBlock + 0x10, ownerTag)
    nt.store(dataBlock + 0x14, size(era))
    nt.store(dataBlock + 0x18, version.kernelBase)  // KernBase
    nt.store(dataBlock + 0x138, KernelLayout.pageSize)  // MmPageSize: the value itself
    for (offset, global) in variables { nt.store(dataBlock + offset, global) }
    kpcr.store(0x34, versionBlock)  // KPCR.KdVersionBlock
  }
}
