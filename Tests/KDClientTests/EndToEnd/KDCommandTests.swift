import Foundation
import Testing

@testable import KDClient

/// The KD commands of issue 16, item 2 (`dp*`, `dds`, `ub`, `kd`, `.frame`, `.kframes`, `.lastevent`, `.bpcmds`,
/// `.time`, `!analyze`, `.sympath`, ...), each run by the real `kd` binary against the embedded target.
@Suite struct KDCommandTests {
  static func outputs(_ commands: String, of command: String) -> [[String]] {
    KDLayoutTests.outputs(commands, of: command)
  }

  /// `dds`/`dps`: one DWORD a line, `addr  value symbol`, the symbol `ln`'s; `dp` is `dd` on x86.
  @Test func ddsAndDpsPrintEachPointerWithItsSymbol() throws {
    let out = PoolPageTests.outputs("g nt!ExFreePool; dds esp L2; dps esp L2; dd esp L2; dp esp L2; ln poi(esp)")
    let dds = try #require(KDLayoutTests.outputs(in: out, of: "dds esp L2").first, "\(out)")
    let dd = try #require(KDLayoutTests.outputs(in: out, of: "dd esp L2").first?.first, "\(out)")
    let ln = try #require(KDLayoutTests.outputs(in: out, of: "ln poi(esp)").first?.first, "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "dps esp L2").first == dds)
    #expect(KDLayoutTests.outputs(in: out, of: "dp esp L2").first?.first == dd)
    // dd: `esp  v0 v1`; dds: `esp  v0 <symbol of v0>`, `esp+4  v1 [symbol]`.
    let words = dd.split(separator: " ").map(String.init)
    try #require(words.count == 3 && dds.count == 2, "\(dd) \(dds)")
    // ln: `(start)   Abc!AbcRequestWorker+0x98   |  (next)   ...`: the return address's symbol.
    let symbol = try #require(ln.split(separator: " ").dropFirst().first.map(String.init), "\(ln)")
    #expect(symbol.hasPrefix("Abc!"), "\(ln)")
    #expect(dds[0] == "\(words[0])  \(words[1]) \(symbol)")
    let second = UInt32(words[0], radix: 16).map { String($0 + 4, radix: 16) } ?? ""
    #expect(dds[1].hasPrefix("\(second)  \(words[2])"), "\(dds)")
  }

  /// `dpa`/`dpu`: the pointer, then the string it points to in quotes; unreadable targets leave just the pointer.
  @Test func dpaAndDpuPrintTheStringsPointedTo() throws {
    // The first loader entry's BaseDllName.Buffer (+0x30) points to UTF-16 "ntoskrnl.exe": as ASCII it is "n".
    let out = PoolPageTests.outputs(
      "dpu poi(nt!PsLoadedModuleList)+30 L1; dpa poi(nt!PsLoadedModuleList)+30 L1; dd poi(nt!PsLoadedModuleList)+30 L1;"
        + " dpa 0 L1")
    let dd = try #require(
      KDLayoutTests.outputs(in: out, of: "dd poi(nt!PsLoadedModuleList)+30 L1").first?.first, "\(out)")
    #expect(
      KDLayoutTests.outputs(in: out, of: "dpu poi(nt!PsLoadedModuleList)+30 L1").first == [dd + " \"ntoskrnl.exe\""])
    #expect(KDLayoutTests.outputs(in: out, of: "dpa poi(nt!PsLoadedModuleList)+30 L1").first == [dd + " \"n\""])
    #expect(KDLayoutTests.outputs(in: out, of: "dpa 0 L1").first == ["00000000  ????????"])
  }

  /// `ub`: the instructions that end exactly at the address, as `u` prints them from where they start; KD's error
  /// forms for unreadable memory and for an address pair (`ub` takes only `L Count`).
  @Test func ubShowsTheInstructionsEndingAtTheAddress() {
    let out = PoolPageTests.outputs("u nt!ExFreePool L3; ub nt!ExFreePool+5 L3; ub 0 L2; ub 1000 1010")
    let u = KDLayoutTests.outputs(in: out, of: "u nt!ExFreePool L3").first
    #expect(u?.count == 4, "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "ub nt!ExFreePool+5 L3").first == u)
    #expect(KDLayoutTests.outputs(in: out, of: "ub 0 L2").first == ["       ^ Memory access error in 'ub 0 L2'"])
    #expect(
      KDLayoutTests.outputs(in: out, of: "ub 1000 1010").first == ["            ^ Syntax error in 'ub 1000 1010'"])
  }

  /// `kd`: `dds` from esp; `.kframes` sets `k`'s default depth; `.frame N` prints frame N's `kn` line and refuses a
  /// frame the stack does not have.
  @Test func kdFrameAndKframes() throws {
    let out = PoolPageTests.outputs(
      "g nt!ExFreePool; kd 3; dds esp L3; kn; .kframes 1; k; .kframes; .frame 1; .frame; .frame 40")
    let dds = try #require(KDLayoutTests.outputs(in: out, of: "dds esp L3").first, "\(out)")
    #expect(dds.count == 3)
    #expect(KDLayoutTests.outputs(in: out, of: "kd 3").first == dds)
    let kn = try #require(KDLayoutTests.outputs(in: out, of: "kn").first, "\(out)")
    try #require(kn.count >= 3, "\(kn)")
    #expect(KDLayoutTests.outputs(in: out, of: ".kframes 1").first == ["Default stack trace depth is 0n1 frames"])
    #expect(KDLayoutTests.outputs(in: out, of: ".kframes").first == ["Default stack trace depth is 0n1 frames"])
    #expect(KDLayoutTests.outputs(in: out, of: "k").first?.count == 2, "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: ".frame 1").first == [kn[2]])
    #expect(KDLayoutTests.outputs(in: out, of: ".frame").first == [kn[2]])
    #expect(
      KDLayoutTests.outputs(in: out, of: ".frame 40").first == ["Cannot find frame 0x40, previous scope unchanged"])
  }

  /// `.lastevent` names the event the notification named and when it arrived; `.time` gives the session time and no
  /// invented uptime; `.bpcmds` prints the `bp` commands that set the breakpoints again.
  @Test func lasteventTimeAndBpcmds() throws {
    let out = PoolPageTests.outputs(
      ".lastevent; bp nt!ExFreePool; g; .lastevent; bp3 nt!ExAllocatePool 5 \"kb 1\"; bd 3; .bpcmds; .time")
    let date =
      #"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] "#
      + #"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} 2[0-9]{3} \(UTC \+ 0:00\)"#
    let events = KDLayoutTests.outputs(in: out, of: ".lastevent")
    try #require(events.count == 2 && events.allSatisfy { $0.count == 2 }, "\(out)")
    #expect(events[0][0] == "Last event: Break instruction exception - code 80000003 (first chance)")
    #expect(events[1][0] == "Last event: Hit breakpoint 0")
    for e in events { #expect(try Regex("  debugger time: " + date).wholeMatch(in: e[1]) != nil, "\(e)") }
    #expect(
      KDLayoutTests.outputs(in: out, of: ".bpcmds").first == [
        "bp0 0x804d8060 ;", "bp3 0x804d8040 0x5 \"kb 1\" ;", "bd 3 ;",
      ])
    let time = try #require(KDLayoutTests.outputs(in: out, of: ".time").first, "\(out)")
    #expect(time.count == 2)
    #expect(try Regex("Debug session time: " + date).wholeMatch(in: time.first ?? "") != nil, "\(time)")
    // The embedded kernel's InterruptTime (KUSER_SHARED_DATA): seconds since its boot.
    #expect(try Regex(#"System Uptime: 0 days 0:0\d:\d\d\.\d\d\d"#).wholeMatch(in: time.last ?? "") != nil, "\(time)")
  }

  /// `.sympath`/`.symfix` say where symbols come from (the target) and refuse a path.
  @Test func sympathSaysSymbolsComeFromTheTarget() {
    let out = PoolPageTests.outputs(".sympath; .symfix; .sympath srv*c:\\symbols")
    let note = KDLayoutTests.outputs(in: out, of: ".sympath").first
    #expect(note?.first?.hasPrefix("Symbol search path is: <none>: symbols come from the target") == true, "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: ".symfix").first == note)
    #expect(
      KDLayoutTests.outputs(in: out, of: ".sympath srv*c:\\symbols").first?.first?.hasPrefix(".sympath takes no path")
        == true, "\(out)")
  }

  /// `!analyze -v` on a bug-checked target (faultDoubleFree: BAD_POOL_CALLER 7 from Faulty!FaultyDoubleFree): the
  /// name, the arguments of nt!KiBugCheckData, the stack and the faulting module; on a live target, that there is none.
  @Test func analyzeNamesTheBugCheckAndTheFaultingModule() throws {
    // The attach's break-in can come before the double free: `g` then runs to the bug check (and is refused
    // when the target has already bug-checked).
    let out = PoolPageTests.outputs("g; !analyze -v; dd nt!KiBugCheckData L5", ["--scenario", "faultDoubleFree"])
    let lines = try #require(KDLayoutTests.outputs(in: out, of: "!analyze -v").first, "\(out)")
    let dd = (KDLayoutTests.outputs(in: out, of: "dd nt!KiBugCheckData L5").first ?? []).flatMap {
      $0.split(separator: " ").dropFirst().map(String.init)
    }
    try #require(dd.count == 5, "\(out)")
    #expect(Array(lines.prefix(5)) == Analyze.banner)
    #expect(lines.contains("BAD_POOL_CALLER (c2)"), "\(lines)")
    #expect(lines.contains("Arg1: \(dd[1]), attempt to free pool which was already freed"), "\(lines)")
    for i in 2...4 { #expect(lines.contains("Arg\(i): \(dd[i])"), "\(lines)") }
    #expect(lines.contains { $0.hasSuffix(" Faulty!FaultyDoubleFree+0x44") }, "\(lines)")
    #expect(lines.contains("MODULE_NAME: Faulty") && lines.contains("IMAGE_NAME:  Faulty.sys"), "\(lines)")
    #expect(
      Self.outputs("!analyze -v", of: "!analyze -v").first == [
        "The target is not bug-checked (nt!KiBugCheckData holds 0): there is no bug check to analyze."
      ])
  }

  /// `gu` stops where the current function returns (the return address `dds esp` shows at its entry), from the entry
  /// and from inside the set-up frame alike; `pc` stops at the next `call` with `p`'s register dump.
  @Test func guReturnsToTheCallerAndPcStopsAtACall() throws {
    let out = PoolPageTests.outputs(
      "g nt!ExFreePool; dds esp L1; gu; g nt!ExFreePool; p; p; r ebp; gu; pc")
    let dds = try #require(KDLayoutTests.outputs(in: out, of: "dds esp L1").first?.first, "\(out)")
    let fields = dds.split(separator: " ").map(String.init)
    try #require(fields.count == 3, "\(dds)")
    let gu = KDLayoutTests.outputs(in: out, of: "gu")
    #expect(gu.count == 2, "\(out)")
    for g in gu {
      #expect(g.count == 2 && g.first == fields[2] + ":" && g.last?.hasPrefix(fields[1] + " ") == true, "\(out)")
    }
    let pc = try #require(KDLayoutTests.outputs(in: out, of: "pc").first, "\(out)")
    #expect(pc.first?.hasPrefix("eax=") == true && pc.count == 5, "\(pc)")
    #expect(pc.last?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first == "call", "\(pc)")
  }

  /// `~Ns` on this one-processor target: `~0s` is silent, another number a caret error under it.
  @Test func processorSwitchOnOneProcessor() {
    let out = PoolPageTests.outputs("~0s; ~1s; ~12s")
    #expect(KDLayoutTests.outputs(in: out, of: "~0s").first == [], "\(out)")
    #expect(KDLayoutTests.outputs(in: out, of: "~1s").first == ["     ^ Syntax error in '~1s'"])
    #expect(KDLayoutTests.outputs(in: out, of: "~12s").first == ["     ^ Syntax error in '~12s'"])
  }
}
