import Foundation
import KDTestSupport
import Testing

/// `ba`, KD's processor (data) breakpoints, with the real `kd` binary: on the embedded target and over TLS
/// against a real `kdserver`. Abc!AbcLogEvent's `++LogSequence` stores at +0x20; the stop is after the store.
@Suite struct ProcessorBreakpointTests {
  static let commands =
    "ba w4 Abc!LogSequence; bl; g; kb 2; ba r4 Abc!LogSequence; ba e1 Abc!AbcCacheInsert; ba w4 Abc!LogHead; "
    + "ba w4 nt!PoolHitTag; ba w2 Abc!LogSequence+1; ba w8 Abc!LogSequence; ba e2 Abc!AbcCacheInsert; "
    + "ba i1 0; .bpcmds; bc 0; bd 1; bl; g; .lastevent"

  func check(_ out: String) {
    func after(_ command: String) -> [String] {
      (WalkthroughTests.outputs(out, of: command).first ?? "").split(separator: "\n").map(String.init)
    }
    #expect(after("bl").first == " 0 e f7a03000 w 4 0001 (0001) Abc!LogSequence", "\(out)")
    // The write: reported as KD reports a breakpoint, at the instruction after the store.
    // The next instruction's store goes to the pool block (its address differs between targets): KD's effective
    // address suffix names it.
    #expect(after("g").prefix(2) == ["Breakpoint 0 hit", "Abc!AbcLogEvent+0x26:"], "\(out)")
    let store = after("g").dropFirst(2).first ?? ""
    #expect(
      store.wholeMatch(
        of: /f7a01066 894804          mov     dword ptr \[eax\+4\],ecx ds:0023:e1[0-9a-f]{6}=[0-9a-f]{8}/)
        != nil, "\(out)")
    #expect(after("kb 2").dropFirst().first?.hasSuffix(" Abc!AbcLogEvent+0x26") == true, "\(out)")
    #expect(
      after("ba w4 nt!PoolHitTag") == ["Too many data breakpoints: the processor has four debug registers, all in use"])
    #expect(
      after("ba w2 Abc!LogSequence+1") == ["the address of a 2-byte processor breakpoint must be aligned on 2 bytes"])
    #expect(after("ba w8 Abc!LogSequence").last?.hasPrefix("        ^ Syntax error in 'ba w8") == true, "\(out)")
    #expect(after("ba e2 Abc!AbcCacheInsert") == ["an execution breakpoint (ba e) has size 1"])
    #expect(after("ba i1 0") == ["I/O port breakpoints (ba i) are not supported: the target has no I/O ports"])
    #expect(
      after(".bpcmds") == [
        "ba0 w 4 0xf7a03000 ;", "ba1 r 4 0xf7a03000 ;", "ba2 e 1 0xf7a01020 ;", "ba3 w 4 0xf7a03004 ;",
      ], "\(out)")
    #expect(after(".lastevent").first?.hasPrefix("Last event: Hit breakpoint ") == true, "\(out)")
    let list = WalkthroughTests.outputs(out, of: "bl").last ?? ""
    #expect(
      list.split(separator: "\n").map(String.init) == [
        " 1 d f7a03000 r 4 0001 (0001) Abc!LogSequence", " 2 e f7a01020 e 1 0001 (0001) Abc!AbcCacheInsert",
        " 3 e f7a03004 w 4 0001 (0001) Abc!LogHead",
      ], "\(out)")
    // The next stop is one of the two enabled: the execution breakpoint (before AbcCacheInsert's first
    // instruction) or the LogHead store (after it).
    let last = (WalkthroughTests.outputs(out, of: "g").last ?? "").split(separator: "\n").map(String.init)
    #expect(
      last.prefix(2) == ["Breakpoint 2 hit", "Abc!AbcCacheInsert:"]
        || last.prefix(2) == ["Breakpoint 3 hit", "Abc!AbcLogEvent+0x39:"], "\(last)")
  }

  @Test func onTheEmbeddedTarget() {
    check(PoolPageTests.outputs(Self.commands))
  }

  @Test func overTLSAgainstARealKdserver() throws {
    let (server, port, fingerprint) = try KDServerProcess.start()
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let result = run(
      builtExecutable("kd"),
      ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "--timeout", "60", "-b", "-c", Self.commands])
    #expect(result.status == 0, "\(result.stderr)")
    check(result.stdout)
    #expect(server.line(containing: "WriteDataBreakPointApi") != nil, "the server's audit names the request")
  }
}
