/// The `nt` module: a PE header, x86 stubs for every export (real prologues, `int 2Eh` into Swift
/// services, the PoolHitTag compare and its `int 3` in the pool routines) and the kernel globals.
/// Backed by host memory so services read globals such as PoolHitTag with a plain load.
struct NtModule {
  static let imageSize: UInt32 = 0x5000
  static let textOffset: UInt32 = 0x1000

  let memory: HostMemory
  /// Undecorated export name -> address (functions and data).
  private(set) var exports: [String: UInt32] = [:]
  private(set) var symbols: [KernelSymbol] = []
  /// `int 3` inside ExAllocatePoolWithTag / ExFreePoolWithTag / KeBugCheckEx.
  private(set) var allocateHitBreak: UInt32 = 0
  private(set) var freeHitBreak: UInt32 = 0
  private(set) var bugCheckBreak: UInt32 = 0
  private(set) var systemThreadStartup: UInt32 = 0
  private(set) var loadDriver: UInt32 = 0
  private(set) var idleLoop: UInt32 = 0
  private(set) var unloadDriver: UInt32 = 0

  init() throws(KernelError) {
    memory = try HostMemory(size: Int(Self.imageSize), what: "nt image")
    let base = KernelLayout.ntBase
    var a = X86Assembler(origin: base + Self.textOffset)
    var functions: [(String, UInt32)] = []
    func begin(_ name: String) {
      a.align(16)
      functions.append((name, a.here))
    }

    // Pool routines: the service leaves the result in eax, ecx = 1 when tagging is active and edx = the
    // tag to compare (allocation: the caller's tag; free: the tag from the block's header), protected
    // bit stripped. The compare and the int 3 are ordinary code here, so `u` shows them.
    func poolRoutine(_ name: String, _ service: NtService, argBytes: UInt16) -> UInt32 {
      begin(name)
      a.prologue()
      a.service(service)
      a.emit([0x85, 0xc9, 0x74, 0x09])  // test ecx,ecx; jz done
      a.emit([0x3b, 0x15])
      a.imm32(NtGlobals.poolHitTag)  // cmp edx,[nt!PoolHitTag]
      a.emit([0x75, 0x01])  // jne done
      let hit = a.here
      a.int3()
      a.epilogue(ret: argBytes)  // done:
      return hit
    }
    allocateHitBreak = poolRoutine("ExAllocatePoolWithTag", .allocatePool, argBytes: 12)
    freeHitBreak = poolRoutine("ExFreePoolWithTag", .freePool, argBytes: 8)
    let allocateWithTag = functions[0].1
    let freeWithTag = functions[1].1

    begin("ExAllocatePool")  // ExAllocatePoolWithTag(type, size, 'None')
    a.prologue()
    a.pushImm(0x656e_6f4e)
    a.pushArg(1)
    a.pushArg(0)
    a.call(allocateWithTag)
    a.epilogue(ret: 8)
    begin("ExFreePool")  // ExFreePoolWithTag(p, 0)
    a.prologue()
    a.pushImm(0)
    a.pushArg(0)
    a.call(freeWithTag)
    a.epilogue(ret: 4)

    func simple(_ name: String, _ s: NtService, argBytes: UInt16) {
      begin(name)
      a.prologue()
      a.service(s)
      a.epilogue(ret: argBytes)
    }
    simple("KeDelayExecutionThread", .delayExecution, argBytes: 12)
    simple("PsCreateSystemThread", .createSystemThread, argBytes: 28)
    simple("PsTerminateSystemThread", .terminateSystemThread, argBytes: 4)
    simple("RtlRandomEx", .random, argBytes: 4)
    simple("RtlRandom", .random, argBytes: 4)
    simple("DbgPrint", .debugPrint, argBytes: 0)
    simple("KeQuerySystemTime", .querySystemTime, argBytes: 4)
    simple("memset", .memset, argBytes: 0)
    simple("memcpy", .memcpy, argBytes: 0)
    simple("memmove", .memmove, argBytes: 0)
    simple("KeGetCurrentThread", .currentThread, argBytes: 0)
    simple("PsGetCurrentThreadId", .currentThreadId, argBytes: 0)
    simple("ZwYieldExecution", .yieldExecution, argBytes: 0)

    begin("KeBugCheckEx")  // records KiBugCheckData, then stops at its int 3 for good
    a.prologue()
    a.service(.bugCheck)
    bugCheckBreak = a.here
    a.int3()
    a.emit([0xeb, 0xfe])  // jmp $
    begin("KeBugCheck")
    a.prologue()
    a.pushImm(0)
    a.pushImm(0)
    a.pushImm(0)
    a.pushImm(0)
    a.pushArg(0)
    a.call(functions.first { $0.0 == "KeBugCheckEx" }!.1)

    begin("DbgBreakPoint")
    a.int3()
    a.emit([0xc3])
    begin("DbgBreakPointWithStatus")
    a.emit([0x8b, 0x44, 0x24, 0x04])  // mov eax,[esp+4]
    functions.append(("RtlpBreakWithStatusInstruction", a.here))
    a.int3()
    a.emit([0xc2, 0x04, 0x00])

    // Internal routines (not exports, but in the symbol table like ntoskrnl's public symbols).
    begin("PspSystemThreadStartup")  // (StartRoutine, StartContext)
    systemThreadStartup = a.here
    a.prologue()
    a.pushArg(1)
    a.callArg(0)
    a.pushImm(0)
    a.call(functions.first { $0.0 == "PsTerminateSystemThread" }!.1)
    a.int3()
    begin("IopLoadDriver")  // (DriverEntry, DriverObject, RegistryPath)
    loadDriver = a.here
    a.prologue()
    a.pushArg(2)
    a.pushArg(1)
    a.callArg(0)
    a.emit([0x50])
    a.service(.driverLoaded)  // push eax (status)
    a.pushImm(0)
    a.call(functions.first { $0.0 == "PsTerminateSystemThread" }!.1)
    a.int3()
    begin("KiIdleLoop")
    idleLoop = a.here
    a.emit([0xf3, 0x90, 0xeb, 0xfc])  // pause; jmp KiIdleLoop
    begin("IopUnloadDriver")  // (ModuleBase, DriverObject): a system thread the debugger's unload request starts
    unloadDriver = a.here
    a.prologue()
    a.service(.beginUnload)  // the driver's threads end; eax = its DriverUnload routine, or 0
    a.emit([0x85, 0xc0, 0x74, 0x05])  // test eax,eax; jz +5
    a.pushArg(1)
    a.emit([0xff, 0xd0])  // call eax: DriverUnload(DriverObject)
    a.service(.unloadDriver)
    a.pushImm(0)
    a.call(functions.first { $0.0 == "PsTerminateSystemThread" }!.1)
    a.int3()
    a.align(16)
    precondition(a.bytes.count < Int(NtGlobals.dataOffset - Self.textOffset), "nt stubs outgrew .text")

    memory.storeBytes(
      0,
      PEHeader.build(
        base: base, sizeOfImage: Self.imageSize, timestamp: 0x4802_5bdd,
        checksum: 0x001f_4b8a, entry: 0))
    memory.storeBytes(Self.textOffset, a.bytes)

    // Symbol sizes run to the next symbol.
    let textEnd = a.here
    for (i, f) in functions.enumerated() {
      let next = i + 1 < functions.count ? functions[i + 1].1 : textEnd
      symbols.append(KernelSymbol(name: f.0, address: f.1, size: next - f.1, kind: .function, isStatic: false))
      exports[f.0] = f.1
    }
    for (name, address, size) in NtGlobals.all {
      symbols.append(KernelSymbol(name: name, address: address, size: size, kind: .data, isStatic: false))
      exports[name] = address
    }
  }

  /// Global accessors (offsets into the host-backed image).
  func load(_ global: UInt32) -> UInt32 { memory.load(global - KernelLayout.ntBase) }
  func store(_ global: UInt32, _ value: UInt32) { memory.store(global - KernelLayout.ntBase, value) }
  func storeBytes(_ global: UInt32, _ bytes: [UInt8]) { memory.storeBytes(global - KernelLayout.ntBase, bytes) }
  /// An ASCII string, NUL-terminated, cut to fit `capacity` bytes.
  func storeString(_ global: UInt32, _ text: String, capacity: UInt32) {
    memory.storeBytes(global - KernelLayout.ntBase, Array(text.utf8.prefix(Int(capacity) - 1)) + [0])
  }
}
