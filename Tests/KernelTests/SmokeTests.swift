import Testing

@testable import KDKernel

@Test func defaultScenarioBootsAndRuns() throws {
  let h = try Harness()
  let e = try h.run(seconds: 5)
  print("HALT", e.reason, String(e.pc, radix: 16), e.context, e.stack.map { String($0.instructionPointer, radix: 16) })
  let mods = try h.kernel.sync { c in c.modules().map { "\($0.name) \(String($0.base, radix: 16))" } }
  print(mods, h.prints)
  #expect(e.reason == .timeLimit)
  let table = try h.trackTable()
  print(table)
  #expect(table["Abc "] != nil)
}
