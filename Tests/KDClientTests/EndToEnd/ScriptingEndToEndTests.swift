import Foundation
import KDTestSupport
import Testing

/// Scripting with the real `kd` binary against the embedded target: control flow over real command output,
/// `.printf` over real target memory, nested scripts with arguments, errors naming the script line, scripts on
/// standard input, the log, breakpoint commands, and Ctrl+C ending a loop that never ends.
@Suite struct ScriptingEndToEndTests {
  let kd = builtExecutable("kd")

  /// kd's stdout for `-c commands` (and a script), after checking it exited 0.
  func transcript(_ commands: String?, script: String? = nil, input: Data = Data()) -> String {
    var arguments = ["--timeout", "60"]
    if let commands { arguments += ["-c", commands] }
    if let script { arguments += ["--script", script] }
    let result = run(kd, arguments, input: input)
    #expect(result.status == 0, "kd failed: \(result.stderr)")
    return result.stdout
  }

  /// The lines `command` printed.
  func output(_ out: String, of command: String) -> [String] {
    KDLayoutTests.outputs(in: out, of: command).first ?? []
  }

  static func tokens(_ lines: [String]) -> [String] {
    lines.joined(separator: "\n").split(whereSeparator: \.isWhitespace).map(String.init)
  }

  @Test func forLoopsOverAPseudoRegister() {
    let loop = ".for (r $t0 = 0; @$t0 < 4; r $t0 = @$t0 + 1) { .printf \"%d %x\\n\", @$t0, @$t0 * 0x10 }"
    let out = transcript(loop + "; ? @$t0; r $t0")
    #expect(output(out, of: loop) == ["0 0", "1 10", "2 20", "3 30"], "\(out)")
    #expect(output(out, of: "? @$t0") == ["Evaluate expression: 4 = 00000004"])
    #expect(output(out, of: "r $t0") == ["$t0=00000004"])
  }

  /// `.foreach` sees exactly the tokens `kb` and `!poolused` print (the target is halted, so both print the
  /// same twice), without showing the in-commands' output.
  @Test func foreachWalksTheTokensOfKbAndPoolused() {
    let kbLoop = ".foreach (f {kb}) { .echo f }"
    let poolLoop = ".foreach /pS 2 /ps 1 (t {!poolused 4}) { .echo t }"
    let out = transcript("kb; \(kbLoop); !poolused 4; \(poolLoop)")
    let kb = output(out, of: "kb")
    try? #require(kb.count > 1, "\(out)")
    #expect(output(out, of: kbLoop) == Self.tokens(kb))
    let poolTokens = Self.tokens(output(out, of: "!poolused 4"))
    #expect(poolTokens.count > 20)
    let expected = poolTokens.dropFirst(2).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
    #expect(output(out, of: poolLoop) == expected, "\(out)")
  }

  /// `%ma` reads the driver's string where `s` found it (with its own line end; `${a}` because the variable is
  /// next to a comma), `%mu` the kernel's name from its loader entry, `%y`
  /// symbolizes as `ln`/`?` say.
  @Test func printfReadsRealTargetMemory() {
    let find = ".foreach /ps 100 (a {s -a !Abc L?3000 \"Abc:\"}) { .printf \"%p %ma\", ${a}, ${a} }"
    let name = ".printf \"%mu|%y\\n\", poi(poi(nt!PsLoadedModuleList)+0x30), nt!ExAllocatePoolWithTag+0x16"
    let out = transcript("s -a !Abc L?3000 \"Abc:\"; \(find); \(name); ? nt!ExAllocatePoolWithTag+0x16; lm m nt")
    let hit = output(out, of: "s -a !Abc L?3000 \"Abc:\"")
    try? #require(hit.count == 1, "\(out)")
    let address = String(hit[0].prefix(8))
    #expect(output(out, of: find) == ["\(address) Abc: loaded"], "\(out)")
    let value = output(out, of: "? nt!ExAllocatePoolWithTag+0x16").first?.split(separator: " ").last ?? "?"
    #expect(output(out, of: name) == ["ntoskrnl.exe|nt!ExAllocatePoolWithTag+0x16 (\(value))"], "\(out)")
  }

  @Test func nestedScriptsTakeArgumentsAndAFailureNamesTheLine() throws {
    let dir = makeTemporaryDirectory("kd-scripts")
    writeFile(dir + "/inner.txt", ".printf \"inner %s %d\\n\", \"${$arg1}\", ${$n}\nr $t1 = @$t1 + ${$arg2}\n")
    writeFile(
      dir + "/outer.txt",
      "$$ calls inner.txt twice\n$$>a<\(dir)/inner.txt first 5\n.block\n{\n  $$>a<\(dir)/inner.txt second 0n10\n}\n"
        + "? nosuchsymbol\n.echo after the error\n")
    let out = transcript("r $t1 = 0; $$<\(dir)/outer.txt; ? @$t1")
    let shown = out.split(separator: "\n").map(String.init)
    let from = try #require(shown.firstIndex(of: "kd> $$<\(dir)/outer.txt"), "\(out)")
    let to = try #require(shown.firstIndex(of: "kd> ? nosuchsymbol"), "\(out)")
    #expect(
      Array(shown[(from + 1)..<to]) == [
        "kd> $$ calls inner.txt twice", "kd> $$>a<\(dir)/inner.txt first 5", "inner first 2", "kd> .block", "kd> {",
        "kd>   $$>a<\(dir)/inner.txt second 0n10", "kd> }", "inner second 2",
      ], "\(out)")
    #expect(
      out.contains("kd> ? nosuchsymbol\nCouldn't resolve error at 'nosuchsymbol'\n  in script \(dir)/outer.txt:7\n"))
    #expect(out.contains("kd> .echo after the error\nafter the error\n"))
    #expect(output(out, of: "? @$t1") == ["Evaluate expression: 15 = 0000000f"])
  }

  /// `--script -` reads standard input (a pipe), `--script /dev/stdin` too; an error names the script and line.
  @Test func scriptsComeFromStandardInput() {
    let script = Data(".echo from a pipe\n.if (1)\n{\n  ? bogus!\n}\n".utf8)
    for path in ["-", "/dev/stdin"] {
      let out = transcript(nil, script: path, input: script)
      #expect(out.contains("kd> .echo from a pipe\nfrom a pipe\n"), "\(out)")
      #expect(out.contains("  in script \(path):4\n"), "\(out)")
    }
  }

  /// Everything shown goes to the log once: the script's echoed lines and output, breakpoint hits and the
  /// commands they run (`.echo` exists, and `gc` goes on).
  @Test func theLogHoldsEachLineOnce() throws {
    let dir = makeTemporaryDirectory("kd-log")
    writeFile(dir + "/s.txt", ".echo scripted\n? 0n42\n")
    let hits =
      "bp nt!ExAllocatePoolWithTag \"r $t2 = @$t2 + 1; .if (@$t2 < 3) { .echo hit; gc } .else { .echo third }\""
    let out = transcript(".logopen \(dir)/kd.log; $$<\(dir)/s.txt; \(hits); g; bc *; ? @$t2; .logclose")
    let log = try String(contentsOfFile: dir + "/kd.log", encoding: .utf8)
    let logged = log.split(separator: "\n").map(String.init)
    #expect(logged.filter { $0 == "kd> .echo scripted" }.count == 1, "\(log)")
    #expect(logged.filter { $0 == "scripted" }.count == 1)
    #expect(logged.filter { $0 == "Evaluate expression: 42 = 0000002a" }.count == 1)
    #expect(logged.filter { $0 == "Breakpoint 0 hit" }.count == 3)
    #expect(logged.filter { $0 == "hit" || $0 == "third" } == ["hit", "hit", "third"])
    #expect(logged.contains("Evaluate expression: 3 = 00000003"))
    // The log is the transcript from its opening to its closing, line for line.
    let shown = out.split(separator: "\n").map(String.init)
    let from = try #require(shown.firstIndex(of: "Opened log file '\(dir)/kd.log'"))
    let to = try #require(shown.firstIndex(of: "kd> .logclose"))
    #expect(Array(shown[from...to]) == logged)
  }
}

/// docs/COMMANDS.md's example scripts run as shown there: three breakpoint hits whose commands print the caller
/// and tag, then `tag.kd` with an argument dumping each of the tag's paged blocks that `!poolfind` lists.
@Suite struct ScriptingExampleTests {
  @Test func firstCallsAndTagRunAsDocumented() throws {
    let script = packageRoot.appendingPathComponent("Examples/scripting/first-calls.kd").path
    let result = run(builtExecutable("kd"), ["--timeout", "60", "--script", script])
    #expect(result.status == 0, "\(result.stderr)")
    let out = result.stdout
    let calls = try Regex(#"call ([1-3]) from Abc!Abc[A-Za-z]+\+0x[0-9a-f]+ \([0-9a-f]{8}\), tag Abc "#)
    #expect(out.matches(of: calls).map { String($0.output[1].substring ?? "") } == ["1", "2", "3"], "\(out)")
    #expect(out.components(separatedBy: "Breakpoint 0 hit").count == 4)
    #expect(out.contains("tag Abc (1 argument)\n"))
    // As many 16-byte dumps as !poolused counts paged Abc blocks.
    let allocs = try #require(WalkthroughTests.pagedAllocs(out, "Abc"), "\(out)")
    let dumps = out.split(separator: "\n").filter { $0.hasPrefix("e1") && $0.contains("-") && $0.count == 75 }
    #expect(dumps.count == allocs, "\(out)")
  }

  @Test func tagWithoutAnArgumentSaysHowToCallIt() {
    let script = packageRoot.appendingPathComponent("Examples/scripting/tag.kd").path
    let result = run(builtExecutable("kd"), ["--timeout", "60", "-c", "$$>a<\(script)"])
    #expect(result.stdout.hasSuffix("kd> $$>a<\(script)\nusage: $$>a<tag.kd Tag\n"), "\(result.stdout)")
  }
}

/// Ctrl+C in a pseudo-terminal ends a loop that never ends; the session goes on.
@Suite(.serialized) struct ScriptingConsoleTests {
  @Test func ctrlCEndsAnEndlessLoop() throws {
    guard TmuxTerminal.tmux != nil else { return }
    let term = try TmuxTerminal([builtExecutable("kd"), "--pace", "0"])
    try #require(term.wait { $0.hasSuffix("\nkd>\n") } != nil, "\(term.screen)")
    term.type(".echo looping; .while (1) { r $t0 = @$t0 + 1 }")
    term.send("Enter")
    // The echoed output (a line of its own, unlike the typed command) says the line runs: Ctrl+C now lands in
    // the loop, not in the line editor.
    try #require(term.wait(seconds: 30) { $0.contains("\nlooping\n") } != nil, "\(term.screen)")
    term.send("C-c")
    let cancelled = term.wait(seconds: 10) { $0.hasSuffix("^C\nkd>\n") }
    try #require(cancelled != nil, "not cancelled: \(term.screen)")
    term.type("? @$t0 > 0")
    term.send("Enter")
    #expect(term.wait { $0.contains("Evaluate expression: 1 = 00000001") } != nil, "\(term.screen)")
  }
}
