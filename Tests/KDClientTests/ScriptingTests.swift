import Foundation
import KDTestSupport
import Testing

@testable import KDClient

/// How command text divides into statements: `;` outside quotes, braces and `${…}`; the control flow tokens'
/// parts; the script tokens' file names and arguments.
@Suite struct ScriptSyntaxTests {
  static func statements(_ text: String) throws -> [Statement] {
    var scanner = StatementScanner(text)
    var out: [Statement] = []
    while let next = try scanner.next() { out.append(next.statement) }
    return out
  }

  /// The simple commands of `text`, in order.
  static func commands(_ text: String) -> [String] {
    ((try? statements(text)) ?? []).compactMap { if case .command(let c) = $0 { c } else { nil } }
  }

  @Test func semicolonsInsideQuotesBracesAndAliasesDoNotSplit() throws {
    #expect(
      Self.commands(".echo \"a;b\"; .printf \"%d;\\n\", 1; r $t0 = ${$arg1}") == [
        ".echo \"a;b\"", ".printf \"%d;\\n\", 1", "r $t0 = ${$arg1}",
      ])
    #expect(Self.commands("bp x \".printf \\\"a;b\\\"; g\"; bl") == ["bp x \".printf \\\"a;b\\\"; g\"", "bl"])
    #expect(try Self.statements("$$ note; * rest ; ignored") == [.comment, .comment])
  }

  @Test func ifElsifElseChainsAcrossSemicolonsAndLines() throws {
    let s = try Self.statements(
      ".if (@$t0 == 1) { r $t1 = 1 };.elsif (@$t0 > 1);{ .echo big; .echo x } .else { .echo no }; ? 1")
    guard case .conditional(let branches, let otherwise) = s.first else {
      Issue.record("\(s)")
      return
    }
    #expect(branches.map(\.condition) == ["@$t0 == 1", "@$t0 > 1"])
    #expect(branches.map(\.body.text) == [" r $t1 = 1 ", " .echo big; .echo x "])
    #expect(otherwise?.text == " .echo no ")
    #expect(s.count == 2 && s[1] == .command("? 1"))
  }

  @Test func forForeachAndJTakeTheirParts() throws {
    let s = try Self.statements(".for (r $t0 = 0; @$t0 < 3; r $t0 = @$t0 + 1; r $t1 = 0) { .block { .break } }")
    guard case .forLoop(let initial, let condition, let increment, let body) = s.first else {
      Issue.record("\(s)")
      return
    }
    #expect([initial, condition, increment] == ["r $t0 = 0", "@$t0 < 3", "r $t0 = @$t0 + 1;r $t1 = 0"])
    #expect(try Self.statements(body.text) == [.block(SourceText(text: " .break ", offset: 9))])
    let f = try Self.statements(".foreach /pS 2 /ps 4 /f ( place \"g:\\myfile.txt\") { dds place }")
    #expect(
      f == [
        .foreach(
          .init(
            variable: "place", source: .file("g:\\myfile.txt"), initialSkip: 2, skip: 4,
            body: SourceText(text: " dds place ", offset: 50)))
      ])
    #expect(try Self.statements("j (poi(x)>5) ''; 'gc'; ignored") == [.executeIf(" (poi(x)>5) ''; 'gc'; ignored")])
    #expect(Debugger.executeIfCommands(" 'r eax; r ebx' ; 'gc' ; x") == ("r eax; r ebx", "gc"))
    #expect(Debugger.executeIfCommands("  ; r ebx") == ("", "r ebx"))
  }

  @Test func scriptTokensFollowKDsTable() throws {
    #expect(
      try Self.statements("$<a;b.txt") == [.script(.init(path: "a;b.txt", condensed: false, arguments: nil))])
    #expect(try Self.statements("$><c.txt") == [.script(.init(path: "c.txt", condensed: true, arguments: nil))])
    #expect(
      try Self.statements("$$<d e.txt; ? 1") == [
        .script(.init(path: "d e.txt", condensed: false, arguments: nil)), .command("? 1"),
      ])
    #expect(
      try Self.statements("$$>a<\"my file.txt\" one \"two words\"; ? 2") == [
        .script(.init(path: "my file.txt", condensed: true, arguments: ["one", "two words"])), .command("? 2"),
      ])
  }

  @Test func malformedStatementsSayWhere() {
    #expect(throws: StatementSyntaxError(start: 5, position: 5)) { try Self.statements("? 1; .else { }") }
    #expect(throws: StatementSyntaxError(start: 0, position: 4)) { try Self.statements(".if (1 { .echo }") }
    #expect(throws: StatementSyntaxError(start: 0, position: 8)) { try Self.statements(".for (a) { }") }
    #expect(ScriptFile.incomplete(".while (1)") && !ScriptFile.incomplete(".while (1) { }"))
  }

  @Test func aliasesExpandAsTheAliasInterpreterSays() {
    let args = AliasExpansion.scriptArguments(["one", "two"])
    #expect(
      args.expand("${$arg1} ${$arg3} ${$n} ${/d:$arg2} ${/d:$arg3} [${/f:$arg3}] ${/n:$arg1} ${/v:$arg1}")
        == "one ${$arg3} 2 1 0 [] $arg1 ${/v:$arg1}")
    let token = AliasExpansion(values: ["tok": "804d8000"])
    #expect(
      token.expand("dd tok; .echo (tok) xtok ${tok}x", bareWord: "tok") == "dd 804d8000; .echo (tok) xtok 804d8000x")
  }
}

/// The control flow, script files, pseudo-registers, `.echo`/`.printf` and logging against the XP fixture.
@Suite struct ScriptingTests {
  let t = XPImage.make()

  func texts(_ d: Debugger, _ line: String) -> [String] { kd(d, line) }

  @Test func forWhileBreakContinueAndPseudoRegisters() {
    let d = Debugger(target: t)
    #expect(
      texts(
        d,
        ".for (r $t0 = 0; @$t0 < 5; r $t0 = @$t0 + 1) { .if (@$t0 == 1) { .continue } .elsif ($t0 == 3) { .break }; .printf \"%d\\n\", @$t0 }"
      )
        == ["0", "2"])
    #expect(
      texts(d, "r $t1 = 0; .while (@$t1 < 3) { r $t1 = @$t1 + 1 }; ? @$t1; r $t1") == [
        "Evaluate expression: 3 = 00000003", "$t1=00000003",
      ])
    #expect(texts(d, "j @$t1 == 3 '.echo three; .echo !' ; '.echo other'") == ["three", "!"])
    #expect(texts(d, "j 0 .echo yes ; .echo no") == ["no"])
    #expect(
      texts(d, "? $t19; r $t19 = -1; ? $t19") == [
        "Evaluate expression: 0 = 00000000", "Evaluate expression: -1 = ffffffff",
      ])
    #expect(texts(d, "r $t20 = 1").last?.hasSuffix("^ Bad register error in 'r $t20 = 1'") == true)
    #expect(texts(d, "? @$ip; ? @$csp; ? $retreg; ? $bp3") == texts(d, "? eip; ? esp; ? eax; ? 0"))
  }

  @Test func foreachSplitsCommandOutputStringsAndFiles() throws {
    let d = Debugger(target: t)
    #expect(texts(d, ".foreach /s (w \"a b  c\nd\") { .echo [w] w }") == ["[w] a", "[w] b", "[w] c", "[w] d"])
    #expect(texts(d, ".foreach /pS 1 /ps 1 /s (w \"1 2 3 4 5\") { .echo w }") == ["2", "4"])
    // The in-commands' output is not shown: only the out-commands'.
    #expect(
      texts(d, ".foreach (v {.echo 10 20}) { ? v }") == [
        "Evaluate expression: 16 = 00000010", "Evaluate expression: 32 = 00000020",
      ])
    let dir = makeTemporaryDirectory("foreach")
    writeFile(dir + "/tokens.txt", "nt!PoolHitTag\n")
    #expect(texts(d, ".foreach /f (s \"\(dir)/tokens.txt\") { .printf \"%p\\n\", s }") == ["80550000"])
  }

  @Test func nestedScriptsWithArgumentsEchoAsKDDoes() throws {
    let dir = makeTemporaryDirectory("scripts")
    writeFile(
      dir + "/inner.txt", ".echo inner ${$arg1} of ${$n}\n.if (${/d:$arg2}) { .echo two } .else { .echo one }\n")
    writeFile(
      dir + "/outer.txt",
      "$$ the outer script\n$$>a<\(dir)/inner.txt first\n.for (r $t2 = 0; @$t2 < 2; r $t2 = @$t2 + 1)\n{\n"
        + "  $$>a<\(dir)/inner.txt loop 2\n}\n")
    let d = Debugger(target: t)
    #expect(
      texts(d, "$<\(dir)/outer.txt") == [
        "kd> $$ the outer script", "kd> $$>a<\(dir)/inner.txt first", "inner first of 1", "one",
        "kd> .for (r $t2 = 0; @$t2 < 2; r $t2 = @$t2 + 1)", "kd> {", "kd>   $$>a<\(dir)/inner.txt loop 2", "kd> }",
        "inner loop of 2", "two", "inner loop of 2", "two",
      ])
    // `$><` condenses the file into one block, echoed once.
    writeFile(dir + "/condensed.txt", ".block\n{\n  .echo a\n}\n.echo b\n")
    #expect(
      texts(d, "$$><\(dir)/condensed.txt; .echo after") == [
        "kd> .block;{;  .echo a;};.echo b", "a", "b", "after",
      ])
  }

  @Test func aScriptErrorNamesTheFileAndLine() throws {
    let dir = makeTemporaryDirectory("scripterror")
    writeFile(dir + "/bad.txt", ".echo one\n.block\n{\n  ? nosuchsymbol\n}\n.echo two\n")
    let d = Debugger(target: t)
    let lines = texts(d, "$$<\(dir)/bad.txt")
    #expect(lines.contains("Couldn't resolve error at 'nosuchsymbol'"))
    #expect(lines.contains("  in script \(dir)/bad.txt:4"), "\(lines)")
    #expect(lines.last == "two", "a failure ends its block; the script goes on")
    let missing = texts(d, "$<\(dir)/none.txt")
    #expect(missing == ["Unable to open script file '\(dir)/none.txt'"])
  }

  @Test func deeplyNestedBlocksAreRefusedNotRecursedInto() throws {
    let dir = makeTemporaryDirectory("deep")
    writeFile(dir + "/deep.txt", String(repeating: ".block {", count: 100_000) + String(repeating: "}", count: 100_000))
    let d = Debugger(target: t)
    let lines = texts(d, "$$><\(dir)/deep.txt; .echo after")
    #expect(lines.contains("Blocks nest too deeply (at most 200 levels; the script has 100000)"), "\(lines)")
    // Inside the limit, a line's blocks nest as deep as they are written.
    let nested = String(repeating: ".block {", count: 50) + ".echo deep" + String(repeating: "}", count: 50)
    #expect(texts(d, nested) == ["deep"])
    #expect(lines.last == "after")
  }

  @Test func ctrlCEndsALoopThatNeverEnds() {
    let d = Debugger(target: t)
    var polls = 0
    d.interruptRequested = {
      polls += 1
      return polls > 100
    }
    let results = d.run(".while (1) { r $t0 = @$t0 + 1 }; .echo not reached")
    #expect(results.last?.failure == .cancelled)
    #expect(results.last?.lines == ["^C"])
    #expect(!results.contains { $0.lines == ["not reached"] })
    d.interruptRequested = { false }
    #expect(texts(d, "? @$t0") == ["Evaluate expression: 100 = 00000064"])
  }

  @Test func breakpointCommandsRunAtTheHitAndGcGoesOn() {
    guard let (hit, stop) = hitAndStop(t) else { return }
    let d = Debugger(target: t)
    // KD does not check the commands when the breakpoint is set.
    #expect(
      texts(d, "bp leaky!LeakyAllocate \"r $t0 = @$t0 + 1; .if (@$t0 < 2) { .echo again; gc } .else { .echo stop }\"")
        == [])
    t.pendingEvents = [hit, hit, stop]
    let lines = texts(d, "g")
    #expect(lines.filter { $0 == "again" || $0 == "stop" } == ["again", "stop"])
    #expect(t.resumes.count == 2, "the second hit's commands do not resume")
    #expect(texts(d, "bp1 leaky!LeakyAllocate \"j 1 'gc' ; ''\"; bc 0") == [])
    t.pendingEvents = [hit, stop]
    #expect(texts(d, "g").first == "Breakpoint 1 hit")
    #expect(t.resumes.count == 4)
  }

  @Test func bpcmdsGivesBackQuotedCommandsThatRunAgain() {
    let d = Debugger(target: t)
    #expect(texts(d, #"bp3 leaky!LeakyAllocate ".printf \"a\\b\n\"; gc""#) == [])
    let bpcmds = texts(d, ".bpcmds")
    #expect(bpcmds == [#"bp3 0xf8a112c0 ".printf \"a\\b\\n\"; gc" ;"#])
    _ = d.run("bc *; " + (bpcmds.first ?? ""))
    #expect(texts(d, ".bpcmds") == bpcmds)
  }

  @Test func printfReadsTargetMemoryAndSymbols() {
    let d = Debugger(target: t)
    t.map(0x8070_0000, Array("Abc: hello".utf8) + [0] + Array("x".utf16).flatMap { [UInt8($0), 0] } + [0, 0])
    // A UNICODE_STRING over "x" and an ANSI_STRING over "Abc".
    t.map(0x8070_0100, [2, 0, 2, 0, 0x0b, 0, 0x70, 0x80, 3, 0, 3, 0, 0, 0, 0x70, 0x80])
    #expect(
      texts(
        d,
        ".printf \"[%ma] [%mu] [%y] [%p] [%N] [%-3d|%03u|%#x|%c|%s|%%]\\n\", 80700000, 8070000b, nt!ExAllocatePoolWithTag+0x16, nt!PoolHitTag, 1, 7, 9, 0xff, 41, \"q\""
      )
        == [
          "[Abc: hello] [x] [nt!ExAllocatePoolWithTag+0x16 (8054b016)] [80550000] [0000000000000001] [7  |009|0xff|A|q|%]"
        ])
    #expect(texts(d, ".printf \"%msu|%msa|%y\\n\", 80700100, 80700108, 10") == ["x|Abc|00000010"])
    #expect(texts(d, ".printf \"%ma\", 0") == ["Memory access error at '0'"])
    #expect(texts(d, ".printf \"%d %d\", 1").first?.hasPrefix("The format string has more conversions") == true)
    #expect(texts(d, ".echo \"a; b\"; .echo plain text, it's") == ["a; b", "plain text, it's"])
  }

  @Test func theLogGetsEachLineOnceInUnicodeOrNot() throws {
    let dir = makeTemporaryDirectory("log")
    writeFile(dir + "/s.txt", ".echo from the script\n? 1\n")
    let d = Debugger(target: t)
    _ = d.run(".logopen \(dir)/kd.log")
    _ = d.run("$<\(dir)/s.txt")
    _ = d.run(".logclose")
    let log = try String(contentsOfFile: dir + "/kd.log", encoding: .utf8)
    #expect(
      log == "Opened log file '\(dir)/kd.log'\nkd> $<\(dir)/s.txt\nkd> .echo from the script\nfrom the script\n"
        + "kd> ? 1\nEvaluate expression: 1 = 00000001\nkd> .logclose\n")
    _ = d.run(".logopen /u \(dir)/u.log; .echo wide; .logclose")
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/u.log"))
    #expect(data.prefix(2) == Data([0xff, 0xfe]))
    #expect(String(data: data.dropFirst(2), encoding: .utf16LittleEndian)?.contains("kd> .echo wide\nwide\n") == true)
    #expect(Log.timestamp(Date(timeIntervalSince1970: 0.935)).hasSuffix("-935"))
  }

  @Test func helpListsTheScriptingCommandsAndSaysWhereTheyDiffer() {
    let help = texts(Debugger(target: t), ".help")
    for word in [".echo", ".printf", "$$>a<", ".foreach", "gc", ".logopen [/t] [/u]", "Pseudo-registers: $t0-$t19"] {
      #expect(help.contains { $0.contains(word) }, "\(word)")
    }
    #expect(help.contains { $0.hasPrefix("Scripts differ from KD") })
  }
}
