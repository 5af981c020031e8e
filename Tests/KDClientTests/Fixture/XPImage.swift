import KDClient

/// An XP-era kernel image in memory for formatting tests: nt with the pool globals, a driver whose code
/// pushes tag 'Abc ' and calls ExAllocatePoolWithTag, a pool tracking table (the leak doc's numbers),
/// a paged-pool page with block headers, a big-page table, and a break at the PoolHitTag `int 3`.
enum XPImage {
  static let ntBase: UInt32 = 0x804d_7000
  static let alloc: UInt32 = 0x8054_b000
  static let free: UInt32 = 0x8054_c000
  static let breakWithStatus: UInt32 = 0x8052_7000
  static let data: UInt32 = 0x8055_0000
  static let poolHitTag = data
  static let ntGlobalFlag = data + 4
  static let psLoadedModuleList = data + 0x30
  static let driverBase: UInt32 = 0xf8a1_0000
  static let callSite: UInt32 = 0xf8a1_12c0
  static let trackTable: UInt32 = 0x8056_0000
  static let bigPages: UInt32 = 0x8057_0000
  static let pagedStart: UInt32 = 0xe100_0000
  static let nonPagedStart: UInt32 = 0x8200_0000

  static func tag(_ s: String) -> UInt32 {
    let b = Array(s.utf8)
    return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
  }

  static func make(taggingOn: Bool = true, processors: Int = 1) -> MemoryTarget {
    var ctx = X86Context()
    ctx.eax = 0
    ctx.ebx = 0x813f_4ff0
    ctx.ecx = 0x10
    ctx.edx = 0xffdf_f848
    ctx.esi = 0x8145_d168
    ctx.edi = 0x813f_4fc8
    ctx.eip = alloc + 0x881
    ctx.esp = 0xf714_eec4
    ctx.ebp = 0xf714_eee0
    ctx.eflags = 0x246
    ctx.cs = 8
    ctx.ss = 0x10
    ctx.ds = 0x23
    ctx.es = 0x23
    ctx.fs = 0x30
    ctx.gs = 0
    let stack = [
      StackFrame(
        childEBP: 0xf714_ee68, returnAddress: callSite + 0xe, args: [1, 0x40, 0x2063_6241],
        instructionPointer: alloc + 0x881),
      StackFrame(
        childEBP: 0xf714_ee90, returnAddress: 0x8057_a123, args: [0x86a2_20d0, 0x86a4_0000, 0],
        instructionPointer: callSite + 0xe),
    ]
    let event = BreakEvent(kind: .exception, processors: processors, pc: alloc + 0x881, context: ctx, stack: stack)
    let t = MemoryTarget(
      version: TargetVersion(
        kernelBase: ntBase, psLoadedModuleList: psLoadedModuleList, processors: processors, build: 2600), event: event)

    // nt code: int 3 at ExAllocatePoolWithTag+0x881 and in RtlpBreakWithStatusInstruction.
    t.mapZeroed(alloc, pages: 2)
    t.map(alloc + 0x881, [0xcc, 0x8b, 0x45, 0xf8, 0xc2, 0x0c, 0x00])
    t.map(breakWithStatus, [0xcc, 0xc3])
    // Globals.
    t.mapZeroed(data, pages: 2)
    t.putU32(poolHitTag, 0xffff_ff0f)
    t.putU32(ntGlobalFlag, taggingOn ? 0x400 : 0)
    t.putU32(data + 8, trackTable)
    t.putU32(data + 0xc, 8)
    t.putU32(data + 0x10, bigPages)
    t.putU32(data + 0x14, 4)
    t.putU32(data + 0x18, nonPagedStart)
    t.putU32(data + 0x1c, 0xfd00_2000)  // MmNonPagedPoolEnd: the end of the (unmapped) expansion
    t.putU32(data + 0x40, nonPagedStart + 0x2000)  // MmNonPagedPoolEnd0
    t.putU32(data + 0x44, 0xfd00_0000)  // MmNonPagedPoolExpansionStart
    // The unloaded-driver ring: one entry (the reference's `lm` capture), in slot 0; the next slot is 1.
    t.putU32(data + 0x48, data + 0x200)
    t.putU32(data + 0x4c, 1)
    let unloadedName = Array("swmidi.sys".utf16)
    t.putU32(data + 0x200, UInt32(unloadedName.count * 2) * 0x1_0001)
    t.putU32(data + 0x204, data + 0x800)
    t.putU32(data + 0x208, 0xf9f5_3000)
    t.putU32(data + 0x20c, 0xf9f6_1000)
    t.map(data + 0x800, unloadedName.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] })
    t.putU32(data + 0x20, pagedStart)
    t.putU32(data + 0x24, pagedStart + 0x3000)
    t.putU32(data + 0x28, UInt32(processors))
    // Loaded-module list: head -> nt entry -> driver entry -> head.
    let ntEntry = data + 0x1000
    let drvEntry = data + 0x1100
    t.putU32(psLoadedModuleList, ntEntry)
    t.putU32(psLoadedModuleList + 4, drvEntry)
    ldrEntry(
      t, at: ntEntry, next: drvEntry, base: ntBase, size: 0x1f_0000, name: "ntoskrnl.exe",
      path: "\\WINDOWS\\system32\\ntoskrnl.exe", strings: data + 0x1800)
    ldrEntry(
      t, at: drvEntry, next: psLoadedModuleList, base: driverBase, size: 0x2000, name: "leaky.sys",
      path: "\\SystemRoot\\System32\\DRIVERS\\leaky.sys", strings: data + 0x1a00)
    t.moduleSymbols[ntBase] = [
      SymbolRecord(name: "RtlpBreakWithStatusInstruction", address: breakWithStatus, size: 2),
      SymbolRecord(name: "ExAllocatePoolWithTag", address: alloc, size: 0x1000),
      SymbolRecord(name: "ExFreePoolWithTag", address: free, size: 0x800),
      SymbolRecord(name: "PoolHitTag", address: poolHitTag, size: 4),
      SymbolRecord(name: "NtGlobalFlag", address: ntGlobalFlag, size: 4),
      SymbolRecord(name: "PoolTrackTable", address: data + 8, size: 4),
      SymbolRecord(name: "PoolTrackTableSize", address: data + 0xc, size: 4),
      SymbolRecord(name: "PoolBigPageTable", address: data + 0x10, size: 4),
      SymbolRecord(name: "PoolBigPageTableSize", address: data + 0x14, size: 4),
      SymbolRecord(name: "MmNonPagedPoolStart", address: data + 0x18, size: 4),
      SymbolRecord(name: "MmNonPagedPoolEnd", address: data + 0x1c, size: 4),
      SymbolRecord(name: "MmNonPagedPoolEnd0", address: data + 0x40, size: 4),
      SymbolRecord(name: "MmNonPagedPoolExpansionStart", address: data + 0x44, size: 4),
      SymbolRecord(name: "MmUnloadedDrivers", address: data + 0x48, size: 4),
      SymbolRecord(name: "MmLastUnloadedDriver", address: data + 0x4c, size: 4),
      SymbolRecord(name: "MmPagedPoolStart", address: data + 0x20, size: 4),
      SymbolRecord(name: "MmPagedPoolEnd", address: data + 0x24, size: 4),
      SymbolRecord(name: "KeNumberProcessors", address: data + 0x28, size: 4),
      SymbolRecord(name: "PsLoadedModuleList", address: psLoadedModuleList, size: 8),
    ]
    // Driver code: push 'Abc ' / push 40h / push 1 / call nt!ExAllocatePoolWithTag / ret.
    t.mapZeroed(driverBase, pages: 2)
    let call = callSite + 9
    let rel = alloc &- (call &+ 5)
    t.map(callSite, [0x68, 0x41, 0x62, 0x63, 0x20, 0x6a, 0x40, 0x6a, 0x01, 0xe8] + bytes(rel) + [0xc3])
    t.map(driverBase + 0x1800, Array("Leak of tag Abc ".utf8) + [0])
    t.moduleSymbols[driverBase] = [
      SymbolRecord(name: "DriverEntry", address: driverBase + 0x1000, size: 0x100),
      SymbolRecord(name: "LeakyAllocate", address: callSite, size: 0x20),
    ]
    // Pool tracking table: the leak doc's `!poolused 4` numbers, plus a tag with nothing outstanding.
    t.mapZeroed(trackTable, pages: 1)
    let rows: [(String, [UInt32])] = [
      ("Abc ", [0, 0, 0, 36505, 100, 33_930_272]),
      ("Tron", [0, 0, 0, 552, 0, 7_863_232]),
      ("IoN7", [0, 0, 0, 10939, 0, 998_432]),
      ("Gla5", [3, 2, 128, 2222, 0, 924_352]),
      ("Ggb ", [0, 0, 0, 22, 0, 828_384]),
      ("Done", [5, 5, 0, 0, 0, 0]),
    ]
    for (i, (name, v)) in rows.enumerated() {
      let e = trackTable + UInt32(i * 28)
      t.putU32(e, tag(name))
      for (k, x) in v.enumerated() { t.putU32(e + 4 + UInt32(k * 4), x) }
    }
    // Paged pool: page 0 holds small blocks, page 1 is not mapped, page 2 is a big-page allocation.
    t.mapZeroed(pagedStart, pages: 1)
    block(t, at: pagedStart, previous: 0, size: 0x20, type: 2, tag: tag("Abc "))
    block(t, at: pagedStart + 0x20, previous: 0x20, size: 0x40, type: 0, tag: tag("Tron"))
    block(t, at: pagedStart + 0x60, previous: 0x40, size: 0x100, type: 2, tag: tag("Abc "))
    block(t, at: pagedStart + 0x160, previous: 0x100, size: 0x1000 - 0x160, type: 2, tag: tag("IoN7") | 0x8000_0000)
    t.mapZeroed(pagedStart + 0x2000, pages: 1)
    t.mapZeroed(nonPagedStart, pages: 2)
    block(t, at: nonPagedStart, previous: 0, size: 0x80, type: 1, tag: tag("Gla5"))
    block(t, at: nonPagedStart + 0x80, previous: 0x80, size: 0x1000 - 0x80, type: 0, tag: tag("Free"))
    t.mapZeroed(bigPages, pages: 1)
    t.putU32(bigPages, pagedStart + 0x2000)
    t.putU32(bigPages + 4, tag("Abc "))
    t.putU32(bigPages + 8, 1)
    t.putU32(bigPages + 12, 1)  // free slot
    return t
  }

  static func bytes(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
  }

  static func block(_ t: MemoryTarget, at a: UInt32, previous: UInt32, size: UInt32, type: UInt32, tag: UInt32) {
    t.putU32(a, (previous / 8) | (size / 8) << 16 | type << 25)
    t.putU32(a + 4, tag)
  }

  static func ldrEntry(
    _ t: MemoryTarget, at a: UInt32, next: UInt32, base: UInt32, size: UInt32, name: String, path: String,
    strings: UInt32
  ) {
    t.putU32(a, next)
    t.putU32(a + 0x18, base)
    t.putU32(a + 0x20, size)
    let full = Array(path.utf16)
    let short = Array(name.utf16)
    let fullAt = strings
    let shortAt = strings + 0x100
    t.map(fullAt, full.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })
    t.map(shortAt, short.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })
    t.map(a + 0x24, [UInt8(full.count * 2), 0, UInt8(full.count * 2), 0] + bytes(fullAt))
    t.map(a + 0x2c, [UInt8(short.count * 2), 0, UInt8(short.count * 2), 0] + bytes(shortAt))
    t.putU32(a + 0x40, 0x1234)
    t.putU32(a + 0x44, 0x3b7d_8410)
  }
}

/// A breakpoint hit at `XPImage.callSite` and a later exception stop, made from the fixture's initial break.
func hitAndStop(_ t: MemoryTarget) -> (hit: BreakEvent, stop: BreakEvent)? {
  guard case .halted(let start) = t.state else { return nil }
  var hit = start
  hit.kind = .breakpoint
  hit.pc = XPImage.callSite
  var stop = start
  stop.kind = .exception
  return (hit, stop)
}

/// Runs `line` and returns the text of all results.
func kd(_ d: Debugger, _ line: String) -> [String] {
  d.run(line).flatMap(\.lines)
}
