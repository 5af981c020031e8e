// libFuzzer target for the frame decoder and every payload decoder.
//
// Built with -DFUZZING and -sanitize=fuzzer (see docs/PROTOCOL.md, "Fuzzing"), SwiftPM links the executable with
// `main` = `KDProtocolFuzz_main`, which hands control to libFuzzer (KDFuzzHarness). Built normally, it replays files
// given on the command line (a corpus or a crash), so a crash reproduces under a debugger without the fuzzer runtime.
import KDFuzzHarness
import KDProtocol

/// Feeds `data` to a frame decoder in two pieces (split by the first byte) and decodes every frame it yields;
/// then decodes the raw bytes as each payload type directly. Any crash, hang or trap is a finding.
func fuzzOne(_ data: [UInt8]) {
  guard !data.isEmpty else { return }
  let split = Int(data[0]) % data.count
  var decoder = FrameDecoder(maxPayload: Limits.hardMaxPayload)
  decoder.feed(data[1..<max(1, split)])
  decoder.feed(data[max(1, split)...])
  while true {
    guard let frame = try? decoder.next() else { break }
    if let message = try? Message(frame: frame) {
      // What decodes must re-encode to the same frame.
      let again = message.frame(packetId: frame.packetId)
      if case .unknown = message {
      } else if again.payload != frame.payload {
        // Reserved bits and optional tails are validated, so a decoded payload is canonical.
        fatalError("re-encoding changed the payload of \(frame.type)")
      }
    }
  }
  let payload = Array(data.dropFirst())
  _ = try? ManipulateState(decoding: payload)
  _ = try? StateChange(decoding: payload)
  _ = try? Hello(decoding: payload)
  _ = try? HelloReply(decoding: payload)
  _ = try? Goodbye(decoding: payload)
  _ = try? DebugIO(decoding: payload)
  _ = try? PoolTraceEvents(decoding: payload)
}

/// Valid frames of every kind, so the fuzzer starts from deep inside the decoders.
func seedFrames() -> [[UInt8]] {
  var event = StateChange(
    detail: .exception(
      ExceptionRecord(code: 0x8000_0003, address: 0x804d_8010, parameters: [0]), reason: .hardcodedBreakpoint,
      breakpointHandle: 0))
  event.stack = [
    StackFrame(
      childEBP: 0xf8a0_0f00, returnAddress: 0xf7a0_0123, args: [1, 0x40, 0x2063_6241, 0],
      instructionPointer: 0x804d_8010)
  ]
  let bodies: [Manipulate] = [
    .readVirtualMemory(ReadVirtualMemory(address: 0x804d_a000, transferCount: 4)),
    .readVirtualMemory(
      ReadVirtualMemory(address: 0x804d_a000, transferCount: 4, actualBytesRead: 4, data: [0x41, 0x62, 0x63, 0x20])),
    .writeVirtualMemory(WriteVirtualMemory(address: 0x804d_a000, data: [0x41, 0x62, 0x63, 0x20])),
    .getContext(GetContext(thread: 0, context: X86Context())), .setContext(SetContext(context: X86Context())),
    .writeBreakPoint(WriteBreakPoint(address: 0xf7a0_0100)), .restoreBreakPoint(RestoreBreakPoint(handle: 1)),
    .continue(Continue()), .continue2(Continue2(singleStep: true)), .reboot(Reboot()), .getVersion(GetVersion()),
    .writeBreakPointEx(WriteBreakPointEx(entries: [BreakPointEntry(address: 0xf7a0_0100)])),
    .restoreBreakPointEx(RestoreBreakPointEx(entries: [BreakPointEntry(handle: 1)])),
    .searchMemory(SearchMemory(address: 0xf7a0_0000, length: 0x1000, pattern: [0x68, 0x41])),
    .queryMemory(QueryMemory(address: 0xe100_0000)), .getStackTrace(GetStackTrace(maxFrames: 8, frames: event.stack)),
    .readMemoryBatch(
      ReadMemoryBatch(ranges: [.init(address: 1, length: 2)], results: [.init(status: .success, bytes: [1, 2])])),
    .listModules(
      ListModules(maxEntries: 2, modules: [ModuleEntry(base: 1, size: 2, checksum: 3, timestamp: 4, name: "nt")])),
    .listThreads(
      ListThreads(
        maxEntries: 1,
        threads: [
          ThreadEntry(
            threadId: 4, kthread: 5, state: 2, programCounter: 6, startAddress: 7, stackBase: 8, stackLimit: 9)
        ])),
    .getSymbols(
      GetSymbols(
        moduleBase: 1, maxEntries: 1, symbols: [SymbolEntry(address: 1, size: 2, kind: .data, name: "PoolHitTag")])),
    .getPoolSites(
      GetPoolSites(
        maxEntries: 2, totalCount: 1, virtualTime: 3, sampleInterval: 4, sampleTimes: [5, 6],
        sites: [
          PoolSiteEntry(
            callSite: 7, tag: 0x2063_6241, outstandingBlocks: 8, outstandingBytes: 9, allocations: 10, frees: 2,
            frames: [7, 11], history: [1, 8])
        ])),
    .tagSplit(TagSplit(operation: .split, tag: 0x2063_6241, assignments: [.init(tag: 1, subTag: 2, callSite: 3)])),
    .poolTraceControl(PoolTraceControl(operation: .start, tag: 0x2063_6241, kinds: [.frees], limit: 5, logged: 1)),
    .poolTraceSubscribe(PoolTraceSubscribe(subscribe: true, logged: 2)),
    .getSymbolFile(GetSymbolFile(moduleBase: 1, kind: .pdb, age: 1, guid: [1, 2, 3], pdbName: "Abc.pdb")),
    .poolScan(
      PoolScan(
        startIndex: 0, maxEntries: 2, totalCount: 1, blocks: 3, lostBlocks: 1, threads: 4, virtualTime: 5, bytes: 6,
        lostBytes: 7, rootBytes: 8,
        sites: [
          PoolScanEntry(
            callSite: 9, tag: 0x7473_694c, blocks: 3, lostBlocks: 1, bytes: 6, lostBytes: 7, lostAddresses: [10])
        ])),
    .haltAt(HaltAt(virtualTime: 1, now: 2)),
    .getScenarioLeaks(
      GetScenarioLeaks(
        leaks: [.init(function: 1, tag: 0x2063_6241, referenced: true, milliBlocksPerSecond: 2, milliBytesPerSecond: 3)]
      )),
    .verifierSettings(
      VerifierSettings(
        operation: .store, settings: [.init(flags: 8, name: "Abc.sys")], active: [.init(flags: 8, name: "Tron.sys")])),
    .unloadDriver(UnloadDriver(name: "Abc.sys", thread: 0x3c)),
  ]
  var messages: [Message] = bodies.map { .manipulate(ManipulateState($0)) }
  messages += [
    .hello(Hello(clientName: "kd", token: [1, 2, 3])),
    .helloReply(
      HelloReply(
        status: .success, role: .controller, maxPayload: 4096, breakStackFrames: 8, sessionId: 1, targetState: .halted,
        serverName: "kdserver", breakEvent: event)),
    .stateChange(event), .stateChange(StateChange(detail: .running)),
    .stateChange(StateChange(detail: .loadSymbols(.init(path: "Abc.sys", base: 1, checksum: 2, sizeOfImage: 3)))),
    .debugIO(DebugIO(text: "hello")),
    .poolTrace(
      PoolTraceEvents(
        firstSequence: 1, dropped: 2,
        events: [.init(time: 3, address: 4, size: 5, tag: 6, thread: 7, kind: 1, paged: true, frames: [8, 9])])),
    .goodbye(Goodbye(status: .success, reason: "bye")),
    .refused(Refused(status: .notImplemented, refusedType: PacketType(rawValue: 9))), .acknowledge, .breakIn,
  ]
  return messages.enumerated().map { i, m in [UInt8(i)] + m.encoded(packetId: UInt32(i)) }
}

FuzzHarness.run(name: "KDProtocolFuzz", seeds: seedFrames, fuzzOne: fuzzOne)
