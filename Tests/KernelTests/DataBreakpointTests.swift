import Testing

@testable import KDKernel

/// Data breakpoints on the default scenario's own x86 code. Abc!AbcLogEvent's `++LogSequence` is
/// `+0x19 mov ecx,[LogSequence]`, `+0x1f inc ecx`, `+0x20 mov [LogSequence],ecx`, `+0x26 mov [eax+4],ecx`.
@Suite struct DataBreakpointTests {
  /// A write breakpoint stops after the writing instruction (trap semantics): the new value is in memory and
  /// EIP is past the store, inside AbcLogEvent.
  @Test func writeBreakpointStopsAfterTheStore() throws {
    let h = try Harness()
    let sequence = try h.symbol("Abc", "LogSequence")
    let logEvent = try h.symbol("Abc", "AbcLogEvent")
    let handle = try h.kernel.sync { c throws(KernelError) in
      try c.setDataBreakpoint(address: sequence.address, size: 4, access: .write)
    }
    let before = try h.readU32(sequence.address)
    let hit = try h.run()
    #expect(hit.reason == .dataBreakpoint(handle: handle, address: sequence.address))
    #expect(hit.exceptionCode == 0x8000_0004)
    #expect(hit.pc == logEvent.address + 0x26)
    #expect(try h.readU32(sequence.address) == before + 1)
    // The next hit is the next event, one more.
    let next = try h.run()
    #expect(next.reason == .dataBreakpoint(handle: handle, address: sequence.address))
    #expect(try h.readU32(sequence.address) == before + 2)
    #expect(next.virtualTime > hit.virtualTime)

    try h.kernel.sync { c throws(KernelError) in try c.removeDataBreakpoint(handle: handle) }
    #expect(try h.kernel.sync { c in c.dataBreakpoints() }.isEmpty)
    #expect(try h.run(seconds: 1).reason == .timeLimit)
  }

  /// A read-or-write breakpoint takes the load, a read breakpoint too (and not the store after it); the
  /// reported address is the watched byte touched (a 1-byte breakpoint inside a 4-byte access).
  @Test func readAndAccessBreakpoints() throws {
    let h = try Harness()
    let sequence = try h.symbol("Abc", "LogSequence")
    let logEvent = try h.symbol("Abc", "AbcLogEvent")
    let access = try h.kernel.sync { c throws(KernelError) in
      try c.setDataBreakpoint(address: sequence.address + 2, size: 1, access: .readWrite)
    }
    let hit = try h.run()
    #expect(hit.reason == .dataBreakpoint(handle: access, address: sequence.address + 2))
    #expect(hit.pc == logEvent.address + 0x1f)
    try h.kernel.sync { c throws(KernelError) in try c.removeDataBreakpoint(handle: access) }
    let read = try h.kernel.sync { c throws(KernelError) in
      try c.setDataBreakpoint(address: sequence.address, size: 4, access: .read)
    }
    let before = try h.readU32(sequence.address)
    let r = try h.run()
    #expect(r.reason == .dataBreakpoint(handle: read, address: sequence.address))
    #expect(r.pc == logEvent.address + 0x1f)
    // The store of the event the first stop was in went through without a stop: this is the next event's load.
    #expect(try h.readU32(sequence.address) == before + 1)
    let next = try h.run()
    #expect(next.pc == logEvent.address + 0x1f && next.virtualTime > r.virtualTime)
    #expect(try h.readU32(sequence.address) == before + 2)
  }

  /// An execution breakpoint stops before the instruction; the resume passes it once (RF) and the next call
  /// stops there again.
  @Test func executionBreakpointIsAFault() throws {
    let h = try Harness()
    let logEvent = try h.symbol("Abc", "AbcLogEvent")
    let handle = try h.kernel.sync { c throws(KernelError) in
      try c.setDataBreakpoint(address: logEvent.address, size: 1, access: .execute)
    }
    let hit = try h.run()
    #expect(hit.reason == .dataBreakpoint(handle: handle, address: logEvent.address))
    #expect(hit.pc == logEvent.address)
    let step = try h.run(singleStep: true)
    #expect(step.reason == .singleStep && step.pc == logEvent.address + 1)
    let again = try h.run()
    #expect(again.pc == logEvent.address && again.virtualTime > hit.virtualTime)
  }

  /// x86's rules, with the evidence in the error.
  @Test func debugRegisterLimits() throws {
    let h = try Harness()
    let a: UInt32 = 0x8100_0000
    for (size, address) in [(3, a), (8, a), (4, a + 2), (2, a + 1)] {
      #expect(throws: KernelError.self) {
        try h.kernel.sync { c throws(KernelError) in
          try c.setDataBreakpoint(address: address, size: UInt32(size), access: .write)
        }
      }
    }
    #expect(throws: KernelError.self) {
      try h.kernel.sync { c throws(KernelError) in try c.setDataBreakpoint(address: a, size: 4, access: .execute) }
    }
    for i in 0..<4 {
      _ = try h.kernel.sync { c throws(KernelError) in
        try c.setDataBreakpoint(address: a + UInt32(4 * i), size: 4, access: .write)
      }
    }
    #expect(throws: KernelError.tooManyBreakpoints(limit: 4)) {
      try h.kernel.sync { c throws(KernelError) in try c.setDataBreakpoint(address: a + 16, size: 4, access: .write) }
    }
    #expect(throws: KernelError.unknownBreakpoint(99)) {
      try h.kernel.sync { c throws(KernelError) in try c.removeDataBreakpoint(handle: 99) }
    }
  }
}
