import KDProtocol

/// One instance of every message, with non-default values in every field, for round-trip tests.
enum Samples {
  static let context = X86Context(registers: (0..<16).map { 0x1111_1111 &* UInt32($0 + 1) })
  static let frames = [
    StackFrame(
      childEBP: 0xf7a1_bc2c, returnAddress: 0xf7a1_b2c9, args: [1, 0x6c, 0x2063_6241, 0],
      instructionPointer: 0x804f_0a10),
    StackFrame(childEBP: 0xf7a1_bc50, returnAddress: 0x8053_4c2f, args: [0, 0, 0, 0], instructionPointer: 0xf7a1_b2c9),
  ]

  static var breakEvent: StateChange {
    var event = StateChange(
      detail: .exception(
        ExceptionRecord(code: 0x8000_0003, flags: 0, address: 0x804f_0a10, parameters: [0], firstChance: true),
        reason: .hardcodedBreakpoint, breakpointHandle: 0))
    event.processors = 1
    event.thread = 0x8213_4020
    event.programCounter = 0x804f_0a10
    event.context = context
    event.stack = frames
    event.controlReport.instructionStream = [0xcc, 0x8b, 0x45, 0x08]
    event.controlReport.segCs = 8
    event.controlReport.eflags = 0x246
    return event
  }

  static var manipulates: [Manipulate] {
    [
      .readVirtualMemory(ReadVirtualMemory(address: 0x820f_2ba4, transferCount: 4)),
      .readVirtualMemory(
        ReadVirtualMemory(address: 0x820f_2ba4, transferCount: 4, actualBytesRead: 4, data: [0x41, 0x62, 0x63, 0x20])),
      .writeVirtualMemory(WriteVirtualMemory(address: 0x820f_2ba4, data: [0x41, 0x62, 0x63, 0x20])),
      .writeVirtualMemory(WriteVirtualMemory(address: 0x820f_2ba4, data: [1, 2]).reply(written: 2)),
      .getContext(GetContext(thread: 0x8213_4020)),
      .getContext(GetContext(thread: 0, context: context)),
      .setContext(SetContext(thread: 7, context: context)),
      .writeBreakPoint(WriteBreakPoint(address: 0xf7a1_b2c4, handle: 3)),
      .restoreBreakPoint(RestoreBreakPoint(handle: 3)),
      .writeDataBreakPoint(WriteDataBreakPoint(address: 0xf7a0_2010, size: 4, access: .write, handle: 2)),
      .writeDataBreakPoint(WriteDataBreakPoint(address: 0x804d_8000, size: 1, access: .execute)),
      .restoreDataBreakPoint(RestoreDataBreakPoint(handle: 2)),
      .continue(Continue()),
      .continue2(Continue2(singleStep: true, dr7: 0x400)),
      .reboot(Reboot()),
      .getVersion(version),
      .writeBreakPointEx(
        WriteBreakPointEx(entries: [
          BreakPointEntry(address: 0xf7a1_b000), BreakPointEntry(address: 0xf7a1_b010, handle: 9, status: .success),
        ])),
      .restoreBreakPointEx(RestoreBreakPointEx(entries: [BreakPointEntry(handle: 9)])),
      .searchMemory(SearchMemory(address: 0xf7a1_0000, length: 0x1_0000, pattern: [0x68, 0x41, 0x62, 0x63, 0x20])),
      .queryMemory(
        QueryMemory(
          address: 0xe100_0010, regionBase: 0xe100_0000, regionSize: 0x40_0000, protection: 3, kind: .pagedPool)),
      .getStackTrace(GetStackTrace(thread: 0, maxFrames: 64, frames: frames)),
      .readMemoryBatch(
        ReadMemoryBatch(ranges: [.init(address: 0x1000, length: 4), .init(address: 0x2000, length: 2)])),
      .readMemoryBatch(
        ReadMemoryBatch(
          ranges: [.init(address: 0x1000, length: 4), .init(address: 0x2000, length: 2)],
          results: [.init(status: .success, bytes: [1, 2, 3, 4]), .init(status: .partialCopy, bytes: [5])])),
      .listModules(
        ListModules(
          startIndex: 0, maxEntries: 8, totalCount: 2,
          modules: [
            ModuleEntry(
              base: 0x804d_7000, size: 0x21_4000, checksum: 0x1f_0a3c, timestamp: 0x4802_5e0a, name: "ntoskrnl.exe"),
            ModuleEntry(base: 0xf7a1_0000, size: 0x3000, checksum: 0, timestamp: 0, name: "Abc.sys"),
          ])),
      .listThreads(
        ListThreads(
          maxEntries: 4, totalCount: 1,
          threads: [
            ThreadEntry(
              threadId: 4, kthread: 0x8213_4020, state: 2, programCounter: 0xf7a1_b2c4, startAddress: 0xf7a1_b000,
              stackBase: 0xf8a0_0000, stackLimit: 0xf89f_d000)
          ])),
      .getSymbols(
        GetSymbols(
          moduleBase: 0x804d_7000, startIndex: 2, maxEntries: 10, totalCount: 3,
          symbols: [
            SymbolEntry(address: 0x804f_0a00, size: 0x40, kind: .function, name: "ExAllocatePoolWithTag"),
            SymbolEntry(address: 0x820f_2ba4, size: 4, kind: .data, name: "PoolHitTag"),
          ])),
      .getSymbolFile(GetSymbolFile(moduleBase: 0xf7a0_0000)),
      .getSymbolFile(
        GetSymbolFile(moduleBase: 0xf7a0_0000, kind: .pdb, age: 1, guid: Array(0..<16), pdbName: "Abc.pdb")),
      .getPoolSites(GetPoolSites(startIndex: 1, maxEntries: 50)),
      .getPoolSites(
        GetPoolSites(
          startIndex: 0, maxEntries: 50, totalCount: 2, virtualTime: 0x1_2a05_f200, sampleInterval: 50_000_000,
          sampleTimes: [50_000_000, 100_000_123],
          sites: [
            PoolSiteEntry(
              callSite: 0xf7a1_b0d3, tag: 0x2063_6241, subTag: 0x2033_6241, outstandingBlocks: 250,
              outstandingBytes: 240_512, allocations: 250, frees: 0, frames: [0xf7a1_b0d3, 0xf7a1_b2c9, 0x804f_1a2b],
              history: [125, 250]),
            PoolSiteEntry(
              callSite: 0, tag: 0x6576_6944, outstandingBlocks: 5, outstandingBytes: 880, allocations: 5, frees: 0,
              frames: [], history: [5, 5]),
          ])),
      .tagSplit(TagSplit(operation: .list)),
      .tagSplit(
        TagSplit(
          operation: .split, tag: 0x2063_6241,
          assignments: [
            .init(tag: 0x2063_6241, subTag: 0x2031_6241, callSite: 0xf7a1_b013),
            .init(tag: 0x2063_6241, subTag: 0x2032_6241, callSite: 0xf7a1_b043),
          ])),
      .poolTraceControl(PoolTraceControl(operation: .start, tag: 0x2063_6241, kinds: [.allocations], limit: 1000)),
      .poolTraceControl(
        PoolTraceControl(
          operation: .status, tag: 0x2063_6241, kinds: [.allocations, .frees], limit: 0, active: true, logged: 8923,
          dropped: 7)),
      .poolTraceSubscribe(PoolTraceSubscribe(subscribe: true)),
      .poolTraceSubscribe(PoolTraceSubscribe(subscribe: false, logged: 12)),
      .poolScan(PoolScan(startIndex: 0, maxEntries: 4096)),
      .poolScan(
        PoolScan(
          startIndex: 0, maxEntries: 4096, totalCount: 2, blocks: 1_302, lostBlocks: 41, threads: 4,
          virtualTime: 450_000_000, bytes: 96_512, lostBytes: 2_624, rootBytes: 33_196,
          sites: [
            PoolScanEntry(
              callSite: 0xf7a0_1012, tag: 0x7473_694c, blocks: 41, lostBlocks: 41, bytes: 2_624, lostBytes: 2_624,
              lostAddresses: [0xe100_0050, 0xe100_2fc8]),
            PoolScanEntry(
              callSite: 0xf7a0_1032, tag: 0x7473_694c, blocks: 90, lostBlocks: 0, bytes: 6_480, lostBytes: 0,
              lostAddresses: []),
          ])),
      .getScenarioLeaks(GetScenarioLeaks()),
      .haltAt(HaltAt(virtualTime: 50_000_000)),
      .haltAt(HaltAt(virtualTime: 50_000_000, now: 6_600_000)),
      .getScenarioLeaks(
        GetScenarioLeaks(
          leaks: [
            .init(
              function: 0xf7a0_1000, tag: 0x7473_694c, referenced: true, milliBlocksPerSecond: 2_000,
              milliBytesPerSecond: 144_000),
            .init(
              function: 0xf7a0_1040, tag: 0x7473_694c, referenced: false, milliBlocksPerSecond: 1_000,
              milliBytesPerSecond: 64_000),
          ])),
      .verifierSettings(VerifierSettings(operation: .query)),
      .verifierSettings(VerifierSettings(operation: .store, settings: [.init(flags: 8, name: "Abc.sys")])),
      .verifierSettings(
        VerifierSettings(
          operation: .reset, settings: [.init(flags: 8, name: "Tron.sys")], active: [.init(flags: 8, name: "Abc.sys")])),
      .unloadDriver(UnloadDriver(name: "Abc.sys")),
      .unloadDriver(UnloadDriver(name: "Tron", thread: 0x3c)),
      .unknown(api: ApiNumber(rawValue: 0x3199), union: Array(repeating: 7, count: 40), data: [1, 2, 3]),
    ]
  }

  static var version: GetVersion {
    var v = GetVersion()
    v.majorVersion = 0xF
    v.minorVersion = 2600
    v.protocolVersion = 6
    v.flags = 2
    v.machineType = 0x14C
    v.maxPacketType = 0x0C
    v.maxStateChange = 3
    v.maxManipulate = 0x45
    v.simulation = 1
    v.kernBase = 0x804d_7000
    v.psLoadedModuleList = 0x8055_b1c0
    return v
  }

  static var messages: [Message] {
    var all: [Message] = [
      .hello(
        Hello(
          clientName: "kd 0.1", flags: [.wantController, .breakOnAttach], token: Array(repeating: 0xab, count: 32),
          maxPayload: 4096, breakStackFrames: 64)),
      .helloReply(
        HelloReply(
          status: .success, role: .controller, maxPayload: 4096, breakStackFrames: 64, sessionId: 5,
          targetState: .halted, flags: [.tokenRequired], serverName: "kdserver 0.1", breakEvent: breakEvent)),
      .helloReply(
        HelloReply(
          status: .deviceBusy, role: .none, maxPayload: 4096, breakStackFrames: 32, sessionId: 0, targetState: .running,
          serverName: "kdserver")),
      .goodbye(Goodbye(status: .systemShutdown, reason: "server shutting down")),
      .refused(Refused(status: .notImplemented, refusedType: PacketType(rawValue: 0x55))),
      .stateChange(breakEvent),
      .stateChange(StateChange(detail: .running)),
      .stateChange(
        StateChange(
          detail: .loadSymbols(
            .init(
              path: "\\SystemRoot\\System32\\Drivers\\Abc.sys", base: 0xf7a1_0000, checksum: 0x1234, sizeOfImage: 0x3000
            )))),
      .debugIO(DebugIO(text: "Abc: DriverEntry\n", dropped: 12)),
      .poolTrace(
        PoolTraceEvents(
          firstSequence: 0x1_0000_0005, dropped: 3,
          events: [
            .init(
              time: 590_936_330, address: 0xe10e_b808, size: 433, tag: 0x2063_6241, thread: 28, kind: 1, paged: true,
              frames: [0xf7a0_1013, 0xf7a0_10d4, 0x804d_8189]),
            .init(
              time: 590_936_400, address: 0x8120_0040, size: 128, tag: 0x3561_6c47, thread: 40, kind: 2, paged: false,
              frames: []),
          ])),
      .acknowledge, .resend, .reset, .breakIn,
      .unknown(type: PacketType(rawValue: 0x55), payload: [9, 9, 9]),
    ]
    for (i, body) in manipulates.enumerated() {
      all.append(.manipulate(ManipulateState(body, status: i % 2 == 0 ? .pending : .success, processor: 0)))
    }
    return all
  }
}
