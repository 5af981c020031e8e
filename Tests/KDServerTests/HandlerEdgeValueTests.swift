import Foundation
import KDKernel
import KDProtocol
import KDTestSupport
import Testing

@testable import KDServer

/// Every request handler, run against a real kernel with edge values in every field (what a hostile
/// peer can put in a well-formed request): each gets a reply, none traps the process.
@Suite struct HandlerEdgeValueTests {
  static let addresses: [UInt64] = [0, 1, 0x7fff_ffff, 0x804d_7000, 0xffff_f000, 0xffff_ffff, 0x1_0000_0000, .max]
  static let counts: [UInt32] = [0, 1, 0xfff, 0x1000, 0x7fff_ffff, 0xffff_ffff]
  static let lengths: [UInt64] = [0, 1, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001, .max]

  /// Requests with edge values, in an order that does not end the run early (reboot and continue last).
  static func requests() -> [any RequestHandler] {
    var out: [any RequestHandler] = []
    for a in addresses {
      for n in counts {
        out.append(ReadVirtualMemory(address: a, transferCount: n))
        out.append(ReadMemoryBatch(ranges: [.init(address: a, length: n), .init(address: .max, length: n)]))
      }
      for l in lengths {
        out.append(SearchMemory(address: a, length: l, pattern: [0x4d, 0x5a]))
        out.append(SearchMemory(address: a, length: l, pattern: [UInt8](repeating: 0xcc, count: 256)))
      }
      out.append(QueryMemory(address: a))
      out.append(WriteVirtualMemory(address: a, data: []))
      out.append(WriteVirtualMemory(address: a, data: [UInt8](repeating: 0x90, count: 16)))
      out.append(WriteBreakPoint(address: a))
      out.append(GetSymbols(moduleBase: a, maxEntries: .max))
      out.append(WriteBreakPointEx(entries: [.init(address: a), .init(address: .max)]))
      for size: UInt32 in [0, 1, 2, 3, 4, 8, .max] {
        for access in [WriteDataBreakPoint.Access.write, .readWrite, .execute, .read] {
          out.append(WriteDataBreakPoint(address: a, size: size, access: access))
        }
      }
    }
    for n in counts {
      out.append(GetSymbols(moduleBase: 0x804d_7000, startIndex: n, maxEntries: n))
      out.append(ListModules(startIndex: n, maxEntries: n))
      out.append(ListThreads(startIndex: n, maxEntries: n))
      out.append(GetStackTrace(thread: n, maxFrames: n))
      out.append(GetContext(thread: n))
      out.append(RestoreBreakPoint(handle: n))
      out.append(RestoreBreakPointEx(entries: [.init(handle: n)]))
      out.append(RestoreDataBreakPoint(handle: n))
      out.append(GetPoolSites(startIndex: n, maxEntries: n))
      out.append(PoolScan(startIndex: n, maxEntries: n))
      out.append(HaltAt(virtualTime: UInt64(n)))
      out.append(TagSplit(operation: .split, tag: n))
      out.append(TagSplit(operation: .merge, tag: n))
      for kinds: UInt32 in [0, 1, 2, 3] {
        out.append(
          PoolTraceControl(operation: .start, tag: n, kinds: PoolTraceControl.Kinds(rawValue: kinds), limit: n))
      }
      out.append(PoolTraceControl(operation: .status))
      out.append(PoolTraceSubscribe(subscribe: n % 2 == 0))
      out.append(SetContext(thread: n, context: X86Context(registers: [UInt32](repeating: n, count: 16))))
    }
    out.append(TagSplit(operation: .list))
    out.append(GetScenarioLeaks())
    out.append(TagSplit(operation: .merge))
    out.append(PoolTraceControl(operation: .stop))
    out.append(GetVersion())
    out.append(Continue2(singleStep: true))
    out.append(Reboot())
    out.append(Continue(continueStatus: .max))
    return out
  }

  @Test func everyHandlerSurvivesEdgeValuesRunningAndHalted() throws {
    let kernel = try Kernel(configuration: KernelConfiguration(scenario: "default", pace: 0))
    defer { kernel.shutdown() }
    try kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    #expect(try sweep(kernel) == Self.requests().count)
    // The last requests rebooted it: halt the fresh boot and sweep again (SetContext then single-steps
    // the garbage registers into a bug check, which the reboot after it clears).
    try kernel.sync { c in c.haltAt(virtualTime: c.virtualTime + 1_000_000) }
    let deadline = Date(timeIntervalSinceNow: 60)
    while try kernel.sync({ c in c.runState == .running }), Date() < deadline { usleep(1000) }
    #expect(try kernel.sync { c in c.runState != .running })
    #expect(try sweep(kernel) == Self.requests().count)
    #expect(try kernel.sync { c in c.runState == .running })
  }

  /// Runs every request; a refusal (thrown KernelError) is a reply too. Returns how many were answered.
  func sweep(_ kernel: Kernel) throws -> Int {
    var answered = 0
    for request in Self.requests() {
      try kernel.sync { c throws(KernelError) in
        do {
          _ = try request.handle(RequestContext(control: c, maxPayload: Limits.hardMaxPayload))
        } catch {
          // Refused with a KernelError (the session turns it into a status): an answer too.
        }
      }
      answered += 1
    }
    return answered
  }

  /// Issue 10: one observer's SearchMemory from 0 over 4 GiB trapped the server. The whole range is searched
  /// (clipped at the top of the address space) and the first match is nt's image header.
  @Test func searchOverTheWholeAddressSpaceFindsTheFirstMatch() throws {
    let kernel = try Kernel(configuration: KernelConfiguration(scenario: "default", pace: 0))
    defer { kernel.shutdown() }
    for length: UInt64 in [0x1_0000_0000, .max] {
      let (status, reply) = try kernel.sync { c throws(KernelError) in
        try SearchMemory(address: 0, length: length, pattern: Array("MZ".utf8)).handle(
          RequestContext(control: c, maxPayload: Limits.hardMaxPayload))
      }
      #expect(status == .success)
      guard case .searchMemory(let found) = reply else { throw TestFailure("wrong reply \(reply)") }
      #expect(found.address == 0x804d_7000)
    }
    // From the last address with a length that overflows: nothing there, no trap.
    let (status, _) = try kernel.sync { c throws(KernelError) in
      try SearchMemory(address: 0xffff_ffff, length: .max, pattern: [0]).handle(
        RequestContext(control: c, maxPayload: Limits.hardMaxPayload))
    }
    #expect(status == .noMoreEntries)
  }
}
