import Foundation
import KDTestSupport
import Testing

/// `wt` with the real `kd`: a traced call's lines, totals and summary agree with each other and end at the return
/// address; Ctrl+C stops a trace that would not end.
@Suite struct WatchTraceTests {
  @Test func traceOfACallAddsUpAndStopsAtTheReturnAddress() throws {
    // Abc!AbcBuildRequest calls nt!ExAllocatePoolWithTag once, whose stub makes one system call (int 2Eh).
    let out = PoolPageTests.outputs("g Abc!AbcBuildRequest; dd esp L1; wt; g Abc!AbcBuildRequest; wt -nc -ns")
    let ret = try #require(
      KDLayoutTests.outputs(in: out, of: "dd esp L1").first?.first?.split(separator: " ").last.map(String.init),
      "\(out)")
    let lines = try #require(KDLayoutTests.outputs(in: out, of: "wt").first, "\(out)")
    #expect(lines.first == "Tracing Abc!AbcBuildRequest to return address \(ret)", "\(out)")
    let blank = try #require(lines.firstIndex(of: ""), "\(out)")
    let calls = lines[1..<blank].map { $0.split(separator: " ", omittingEmptySubsequences: true) }
    #expect(
      calls.map { $0.last.map(String.init) } == [
        "Abc!AbcBuildRequest", "nt!ExAllocatePoolWithTag", "Abc!AbcBuildRequest",
      ])
    #expect(lines[1..<blank].map { $0.dropFirst(12).prefix(5) } == ["[  0]", "[  1]", "[  0]"], "\(out)")
    let last = try #require(calls.last)
    let (own, children) = (Int(last[0]) ?? -1, Int(last[1]) ?? -1)
    #expect(children == Int(calls[1][0]), "\(out)")
    let total = own + children
    #expect(lines[blank + 1] == "\(total) instructions were executed in \(total - 1) events (0 from other threads)")
    #expect(lines[blank + 3] == "Function Name                               Invocations MinInst MaxInst AvgInst")
    let own3 = String(repeating: " ", count: max(0, 7 - String(own).count)) + String(own)
    #expect(
      lines[blank + 4] == "Abc!AbcBuildRequest                                   1 \(own3) \(own3) \(own3)", "\(out)")
    #expect(lines[blank + 5].hasPrefix("nt!ExAllocatePoolWithTag                              1 "), "\(out)")
    #expect(
      Array(lines[(blank + 7)...(blank + 10)]) == [
        "1 system call was executed", "", "Calls  System Call", "    1  nt!ExAllocatePoolWithTag",
      ], "\(out)")
    #expect(lines.contains { $0.hasPrefix("eip=\(ret) ") }, "\(out)")
    // -nc -ns: the header, the totals and the register dump only.
    let quiet = try #require(KDLayoutTests.outputs(in: out, of: "wt -nc -ns").first, "\(out)")
    #expect(quiet.first?.hasPrefix("Tracing ") == true && quiet[1] == "", "\(out)")
    #expect(quiet[2].hasSuffix(" events (0 from other threads)") && quiet[3] == "", "\(out)")
    #expect(quiet[4].hasPrefix("eax="), "\(out)")
  }

  /// A worker loop never returns: Ctrl+C ends the trace with `^C` and the session goes on.
  @Test func ctrlCStopsATraceThatWouldNotEnd() throws {
    guard TmuxTerminal.tmux != nil else { return }
    let term = try TmuxTerminal([builtExecutable("kd"), "--pace", "0"])
    try #require(term.wait { $0.hasSuffix("\nkd>\n") } != nil, "\(term.screen)")
    term.type("g Abc!AbcRequestWorker+0x54")
    term.send("Enter")
    try #require(term.wait { $0.hasSuffix("add     esp,4\nkd>\n") } != nil, "\(term.screen)")
    term.type("wt")
    term.send("Enter")
    // Stepping: the prompt is gone until the trace ends.
    try #require(term.wait { $0.hasSuffix("kd> wt\n") } != nil, "\(term.screen)")
    term.send("C-c")
    try #require(term.wait { $0.hasSuffix("^C\nkd>\n") } != nil, "not cancelled: \(term.screen)")
    term.type("? 1")
    term.send("Enter")
    #expect(term.wait { $0.contains("Evaluate expression: 1 = 00000001") } != nil, "\(term.screen)")
  }
}
