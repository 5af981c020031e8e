import Testing

@testable import KDKernel

@Suite struct SchedulerTests {
  /// A thread that never calls the kernel is preempted by the time slice: the other drivers keep
  /// allocating, virtual time keeps moving, and break-in finds the spinner inside its loop.
  @Test func spinningThreadIsPreemptedAndBreakInFindsIt() throws {
    let h = try Harness("spin")
    let e = try h.run(seconds: 2)
    #expect(e.reason == .timeLimit)
    #expect(try h.trackTable()["Abc "]![3] > 50)
    let spin = try h.symbol("Faulty", "FaultySpin")
    let count = try h.symbol("Faulty", "SpinCount")
    #expect(try h.readU32(count.address) > 1000)
    let threads = try h.kernel.sync { c in c.threads() }
    let spinner = try #require(threads.first { $0.startRoutine == spin.address })
    #expect(spinner.pc >= spin.address && spinner.pc < spin.address + spin.size)
    let stack = try h.kernel.sync { c in c.stackTrace(thread: spinner.kthread, maxFrames: 8) }
    let startup = try h.symbol("nt", "PspSystemThreadStartup")
    #expect(stack.count == 2)
    #expect(
      stack.last.map {
        $0.instructionPointer >= startup.address && $0.instructionPointer < startup.address + startup.size
      } == true)
  }

  /// The worked example of docs/SCENARIOS.md: retagging one call site singles out the leak.
  @Test func workedExampleSinglesOutTheLeakingSite() throws {
    let h = try Harness("leaky")
    try h.run(seconds: 5)
    let forget = try h.symbol("Leaky", "LeakyForget")
    let at = try #require(
      try h.kernel.sync { c in
        c.searchVirtual(from: forget.address, length: UInt64(forget.size), pattern: [0x4c, 0x65, 0x61, 0x6b])
      })
    _ = try h.kernel.sync { c in c.writeVirtual(at, [0x4c, 0x65, 0x61, 0x31]) }
    try h.run(seconds: 10)
    let t = try h.trackTable()
    let lea1 = try #require(t["Lea1"])
    #expect(lea1[3] - lea1[4] > 50)  // piles up
    let leak = try #require(t["Leak"])
    #expect(leak[4] > 0)
  }
}

@Suite struct BenchScenarioTests {
  /// The benchmark loop runs through the real pool routines and leaves nothing behind.
  @Test func poolPairLoopBalances() throws {
    let h = try Harness("benchPool")
    try h.run(seconds: 1)
    let pairs = try h.readU32(try h.symbol("Bench", "BenchPairs").address)
    #expect(pairs > 1000)
    let row = try #require(try h.trackTable()["Bnch"])
    #expect(row[3] >= pairs && row[3] - row[4] <= 1, "pairs \(pairs), row \(row)")
  }
}
