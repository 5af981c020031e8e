import Foundation
import Testing

@testable import KDClient

@Suite struct SessionTests {
  let t = XPImage.make()

  @Test func jsonCarriesTheSameDataAsTheText() throws {
    let d = Debugger(target: t)
    let r = try #require(d.run("? ' cbA'").first)
    let lines = r.jsonLines(at: Date(timeIntervalSince1970: 1_800_000_000.25))
    #expect(lines.count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    #expect(object["schema"] as? Int == 1)
    #expect(object["type"] as? String == "command")
    #expect(object["time"] as? String == "2027-01-15T08:00:00.250Z")
    #expect(object["ok"] as? Bool == true)
    #expect(object["command"] as? String == "? ' cbA'")
    #expect(object["name"] as? String == "?")
    #expect((object["result"] as? [String: Any])?["value"] as? String == "0x20636241")
    #expect(object["text"] as? [String] == ["Evaluate expression: 543384129 = 20636241"])
    let bad = try #require(d.run("dd nosuch").first).jsonLines()
    #expect(bad.count == 1)
    #expect(bad[0].contains("\"ok\":false"))
    #expect(bad[0].contains("Couldn't resolve error at 'nosuch'"))
  }

  @Test func jsonWritesTagsAsFourCharactersWithEscapes() throws {
    #expect(TagString.text(0x2063_6241) == "Abc ")
    #expect(TagString.text(0x2000_5c41) == "A\\x5c\\x00 ")
    #expect(TagString.value("A\\x5c\\x00 ") == 0x2000_5c41)
    #expect(TagString.value("Abc") == nil)
    #expect(TagString.value("Ab\\x0") == nil)
  }

  @Test func vertargetPrintsTheKernelLinesAndSessionTime() throws {
    let lines = kd(Debugger(target: t), "vertarget")
    let v = try t.version()
    // The fixture has no KUSER_SHARED_DATA or nt!NtBuildLab: no product or build lab lines, no uptime.
    #expect(lines.count == 5, "\(lines)")
    #expect(lines.first?.hasSuffix("Kernel Version \(v.build) UP Free x86 compatible") == true)
    #expect(lines.dropFirst().first == "Machine Name:")
    #expect(lines.last == "System Uptime: not available")
    let base = "Kernel base = 0x\(Hex.d8(v.kernelBase)) PsLoadedModuleList = 0x\(Hex.d8(v.psLoadedModuleList))"
    #expect(lines.contains(base))
    #expect(lines.contains { $0.hasPrefix("Debug session time: ") && $0.hasSuffix(" (UTC + 0:00)") })
    #expect(VersionTarget.sessionTime(Date(timeIntervalSince1970: 1_795_861_330.25)) == "Sat Nov 28 10:22:10.250 2026")
    #expect(VersionTarget.sessionTime(Date(timeIntervalSince1970: 1_796_120_530.25)) == "Tue Dec  1 10:22:10.250 2026")
  }

  @Test func semicolonsSeparateCommandsButNotInsideQuotes() {
    #expect(ScriptSyntaxTests.commands("ed x ';'; dd x; q") == ["ed x ';'", "dd x", "q"])
    let d = Debugger(target: t)
    #expect(d.run("? 1; ? 2").count == 2)
  }

  @Test func stopOnErrorStopsTheLine() {
    let d = Debugger(target: t)
    d.stopOnError = true
    #expect(d.run("? 1; dd nosuch; ? 2").count == 2)
  }

  @Test func logFileReceivesCommandsAndOutput() throws {
    let path = NSTemporaryDirectory() + "kd-log-\(getpid()).txt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let d = Debugger(target: t)
    #expect(kd(d, ".logopen \(path)") == ["Opened log file '\(path)'"])
    _ = kd(d, "? 1")
    #expect(kd(d, ".logclose") == ["Closing open log file \(path)"])
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("kd> ? 1\nEvaluate expression: 1 = 00000001\n"))
  }

  @Test func scriptFileRunsEachLine() throws {
    let path = NSTemporaryDirectory() + "kd-script-\(getpid()).txt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "$$ arm the tag\ned nt!poolhittag ' cbA'\ndd nt!poolhittag L1\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let d = Debugger(target: t)
    // KD echoes each line it reads, comments too.
    #expect(
      kd(d, "$<\(path)") == [
        "kd> $$ arm the tag", "kd> ed nt!poolhittag ' cbA'", "kd> dd nt!poolhittag L1", "80550000  20636241",
      ])
    #expect(kd(d, "$</no/such/file") == ["Unable to open script file '/no/such/file'"])
  }

  @Test func rebootQuitDetachAndUnknownExtensions() {
    let d = Debugger(target: t)
    _ = kd(d, "bp leaky!LeakyAllocate")
    #expect(kd(d, ".reboot").last == "Waiting to reconnect...")
    #expect(t.rebootCount == 1)
    #expect(kd(d, "bl") == [])
    #expect(kd(d, "!nosuch") == ["No export nosuch found"])
    #expect(kd(d, ".help").contains { $0.contains("!poolused") })
    #expect(kd(d, "q") == ["quit:"])
    #expect(d.hasEnded)
  }

  @Test func symbolsAreFetchedOncePerModule() {
    let d = Debugger(target: t)
    _ = kd(d, "? nt!PoolHitTag; ? nt!NtGlobalFlag; dd nt!poolhittag L1")
    #expect(t.symbolRequests == 1)
  }
}
