import Foundation
import Testing

@testable import KDKernel

/// Kernel services called wrongly by real driver code (`Faulty!FaultyBadCall`, one case per context value):
/// each ends as Windows ends it, in a bug check with its code and parameters or in the status Windows
/// returns, and a reboot recovers the target. docs/KERNEL.md, "What the services check", lists the cases.
@Suite struct ServiceArgumentTests {
  /// A manifest running FaultyBadCall(context) from a copy of the bundled Faulty.sys and its PDB (paths in a manifest are
  /// relative to it), in a directory of its own.
  static func scenario(_ context: UInt32) throws -> String {
    let faults = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios/faults")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for file in ["Faulty.sys", "Faulty.pdb"] {
      try FileManager.default.copyItem(at: faults.appendingPathComponent(file), to: dir.appendingPathComponent(file))
    }
    let manifest = """
      {"name": "badCall\(context)", "seed": 1, "pace": 0,
       "modules": [{"name": "Faulty", "image": "Faulty.sys"}],
       "threads": [{"module": "Faulty", "routine": "FaultyBadCall", "context": \(context)}]}
      """
    try Data(manifest.utf8).write(to: dir.appendingPathComponent("scenario.json"))
    return dir.appendingPathComponent("scenario.json").path
  }

  /// What the body of the block the case frees is: its first allocation of 'Flty'.
  static func fltyBlock(_ h: Harness) throws -> UInt32? {
    for start in [try h.readU32(try h.nt("MmPagedPoolStart")), try h.readU32(try h.nt("MmNonPagedPoolStart"))] {
      let found = try h.kernel.sync { c in
        c.searchVirtual(from: start, length: 0x0c00_0000, pattern: Array("Flty".utf8))
      }
      if let found { return found + 4 }
    }
    return nil
  }

  @Test(arguments: [UInt32](3...14) + [17])
  func badCallBugChecksAsWindowsDoes(context: UInt32) throws {
    let h = try Harness(try Self.scenario(context))
    let e = try h.run(seconds: 5)
    guard case .bugCheck(let code, let params) = e.reason else {
      Issue.record("case \(context): expected a bug check, got \(e.reason); prints \(h.prints)")
      return
    }
    let fn = try h.symbol("Faulty", "FaultyBadCall")
    let callSite = try #require(
      e.stack.first { $0.instructionPointer >= fn.address && $0.instructionPointer < fn.address + fn.size })
    #expect(try (0..<5).map { try h.readU32(try h.nt("KiBugCheckData") + UInt32(4 * $0)) } == [code] + params)
    let flty: UInt32 = 0x7974_6c46
    switch context {
    case 3:
      let stub = try h.symbol("nt", "KeDelayExecutionThread")
      #expect(code == 0x50 && params[0] == 0x20 && params[1] == 0)
      #expect(params[2] > stub.address && params[2] < stub.address + stub.size)
    case 4: #expect(code == 0xC2 && params == [0x40, 0x0001_0000, 0x8000_0000, 0])
    case 5: #expect(code == 0xC2 && params == [0x43, 0x804d_a000, 0, 0])
    case 6:
      let p = try #require(try Self.fltyBlock(h))
      #expect(code == 0xC2 && params == [0xA, p, flty, 0x676e_7257])
    case 7:
      let p = try #require(try Self.fltyBlock(h))
      #expect(code == 0xC2 && params == [0x99, p + 4, 0, 0])
    case 8:
      // The 64-byte block is 72 bytes with its header; the overrun wrote 'AAAA' over the next header.
      let p = try #require(try Self.fltyBlock(h))
      #expect(code == 0x19 && params == [5, p - 8, 0, p + 64])
      #expect(try h.readU32(p + 64) == 0x4141_4141)
    case 9:
      #expect(code == 0xC2 && params[0] == 0x50 && params[3] == 0x0c00_0000)
      #expect(params[1] & 0xfff == 0 && params[1] >= 0xe100_0000 && (params[1] - 0xe100_0000) >> 12 == params[2])
    case 10:
      #expect(code == 0xC2 && params[0] == 0x44 && params[1] & 0xfff == 0 && params[2...] == [0, 0])
      #expect(params[1] >= 0x8100_0000 && params[1] < 0x8500_0000)
    case 11: #expect(code == 0xC2 && params == [0x9A, 2, 16, flty])
    case 12: #expect(code == 0x50 && params[0] == 0x30 && params[1] == 1)
    case 13: #expect(code == 0x50 && params[0] == 0x40 && params[1] == 0)
    case 14: #expect(code == 0x50 && params[0] == 0x50 && params[1] == 1)
    case 17:
      let p = try #require(try Self.fltyBlock(h))
      #expect(code == 0x19 && params == [5, p - 8, 0, p - 8])
    default: Issue.record("no expectation for case \(context)")
    }
    #expect(callSite.instructionPointer != 0)
    #expect(!h.prints.contains { $0.contains("returned") })
    // The server's part: the target refuses to go on, and a reboot brings it back into the same fault.
    #expect(throws: KernelError.targetBugChecked(code: code)) {
      try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    }
    let halts = h.haltCount
    try h.kernel.sync { c throws(KernelError) in try c.reboot() }
    guard case .bugCheck(let again, let againParams) = try h.waitForHalt(after: halts).reason else {
      Issue.record("case \(context): no bug check after the reboot")
      return
    }
    #expect(again == code && againParams == params)
  }

  /// Waits past the end of time, relative (1) or absolute (2), paced (the wall-clock wait that trapped the
  /// host) and as fast as possible: the thread sleeps for good, the rest of the target runs on.
  @Test(arguments: [(UInt32(1), 0.0), (1, 1.0), (2, 0.0), (2, 1.0)])
  func sleepingPastTheEndOfTimeWaitsForGood(context: UInt32, pace: Double) throws {
    let h = try Harness(try Self.scenario(context), pace: pace)
    let e = try h.run(seconds: 0.3)
    #expect(e.reason == .timeLimit)
    let threads = try h.kernel.sync { c in c.threads() }
    let fn = try h.symbol("Faulty", "FaultyBadCall")
    let sleeper = try #require(threads.first { $0.startRoutine == fn.address })
    #expect(sleeper.state == .waiting)
    #expect(!h.prints.contains { $0.contains("returned") })
    // It still answers and goes on (the time limit is the only thing that can stop it now).
    let again = try h.run(seconds: 0.2)
    #expect(again.reason == .timeLimit)
    #expect(try h.kernel.sync { c in c.virtualTime } >= 5_000_000)
  }

  /// DbgPrint with an unreadable format returns STATUS_ACCESS_VIOLATION and prints nothing (15); an
  /// allocation no pool can hold returns NULL (16). Both return to the driver.
  @Test func servicesThatReturnAStatus() throws {
    let print = try Harness(try Self.scenario(15))
    _ = try print.run(seconds: 1)
    #expect(print.prints == ["FaultyBadCall: c0000005\n", "FaultyBadCall 15 returned\n"])
    let alloc = try Harness(try Self.scenario(16))
    _ = try alloc.run(seconds: 1)
    #expect(alloc.prints == ["FaultyBadCall: 00000000\n", "FaultyBadCall 16 returned\n"])
  }

  @Test func anInvalidPaceIsRefusedNamingItsSource() throws {
    for pace in [Double.infinity, -.infinity, .nan, -1, 1e30, KernelConfiguration.maxPace * 2] {
      do {
        _ = try Kernel(configuration: KernelConfiguration(scenario: "default", pace: pace))
        Issue.record("pace \(pace) accepted")
      } catch {
        guard case .invalidPace(_, let source) = error else {
          Issue.record("\(error)")
          continue
        }
        #expect(source == "configuration")
        #expect(error.description.contains("pace"))
      }
    }
    try Kernel(configuration: KernelConfiguration(scenario: "default", pace: KernelConfiguration.maxPace)).shutdown()
  }

  @Test func theClockSaturatesInsteadOfTrapping() {
    var clock = VirtualClock(pace: KernelConfiguration.maxPace)
    #expect(clock.wallNanos(until: .max) > 0)
    #expect(VirtualClock(pace: 1e-300).wallNanos(until: .max) == .max)
    clock.advance(by: .max)
    clock.advance(by: .max)
    #expect(clock.now == .max)
    clock.followWall()
    #expect(VirtualClock.saturating(.nan) == 0 && VirtualClock.saturating(-1) == 0)
    #expect(VirtualClock.saturating(.infinity) == .max && VirtualClock.saturating(1e30) == .max)
  }
}
