import Foundation
import KDTestSupport
import Testing

/// The leak walkthrough (docs/WALKTHROUGH.md) as `kd` scripts against a real `kdserver` process over TLS:
/// Examples/walkthrough-1-tagging.kd, then Examples/walkthrough-2-leak.kd. Each step's essential facts are checked,
/// so the document cannot drift from the product.
@Suite(.serialized) struct WalkthroughTests {
  static let part1 = packageRoot.appendingPathComponent("Examples/walkthrough-1-tagging.kd").path
  static let part2 = packageRoot.appendingPathComponent("Examples/walkthrough-2-leak.kd").path

  /// One command's output in a script transcript (the lines after `kd> command` up to the next prompt).
  static func outputs(_ transcript: String, of command: String) -> [String] {
    var found: [String] = []
    var current: [String]?
    for line in transcript.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("kd> ") {
        if let c = current { found.append(c.joined(separator: "\n")) }
        current = line == "kd> " + command ? [] : nil
      } else {
        current?.append(line)
      }
    }
    if let c = current { found.append(c.joined(separator: "\n")) }
    return found
  }

  /// `Allocs` (paged) of `tag` in a `!poolused` table.
  static func pagedAllocs(_ table: String, _ tag: String) -> Int? {
    for line in table.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 5, fields[0] == tag { return Int(fields[3]) }
    }
    return nil
  }

  func runWalkthrough(
    server extra: [String] = [], listen: String = "127.0.0.1:0", wrapper: [String] = [], host: String = "127.0.0.1"
  ) throws {
    let (server, port, fingerprint) = try KDServerProcess.start(
      ["--era", "xp", "--pace", "40"] + extra, listen: listen, wrapper: wrapper)
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    var connect = ["--connect", "\(host):\(port)", "--fingerprint", fingerprint, "-b", "--timeout", "120"]
    if let token = extra.firstIndex(of: "--token-file").map({ extra[$0 + 1] }) { connect += ["--token-file", token] }
    let kd = builtExecutable("kd")

    // Part 1: XP-era target, tagging off until !gflag +ptg and a reboot.
    let one = run(kd, connect + ["--script", Self.part1])
    #expect(one.status == 0, "kd part 1 failed: \(one.stderr)")
    #expect(one.stdout.contains("Connected to Windows XP 2600 x86 compatible target"))
    #expect(Self.outputs(one.stdout, of: "!poolused 4").first?.contains("pool tagging is disabled") == true)
    #expect(
      Self.outputs(one.stdout, of: "!gflag +ptg").first?.contains("New NtGlobalFlag contents: 0x00000400") == true)
    #expect(Self.outputs(one.stdout, of: ".reboot").first?.contains("Shutdown occurred") == true)

    // Part 2, after the reboot.
    let two = run(kd, connect + ["--script", Self.part2])
    #expect(two.status == 0, "kd part 2 failed: \(two.stderr)")
    let t = two.stdout
    #expect(Self.outputs(t, of: "!gflag").first?.contains("ptg - Enable pool tagging") == true)
    let ranking = try #require(Self.outputs(t, of: "!poolused 4").first)
    #expect(ranking.contains("Sorting by Paged Pool Consumed"))
    let firstRow = ranking.split(separator: "\n").first { line in
      let fields = line.split(separator: " ")
      return fields.count == 5 && fields.dropFirst().allSatisfy { Int($0) != nil }
    }
    #expect(firstRow?.split(separator: " ").first == "Abc", "Abc ranks first: \(ranking)")
    for tag in ["Tron", "IoN7", "Gla5", "Ggb"] { #expect(ranking.contains(" \(tag) "), "\(tag) listed") }
    #expect(Self.outputs(t, of: "db nt!poolhittag L4").first?.contains("41 62 63 20") == true)
    #expect(Self.outputs(t, of: "db nt!poolhittag L4").first?.contains("Abc ") == true)

    // Breaks in the allocator and the free path, with stacks into several Abc call sites.
    let breaks = Self.outputs(t, of: "g")
    #expect(breaks.allSatisfy { $0.contains("Break instruction exception - code 80000003 (first chance)") })
    #expect(breaks.contains { $0.contains("nt!ExAllocatePoolWithTag+0x") })
    let stacks = Self.outputs(t, of: "kb")
    #expect(stacks.count == 6)
    #expect(stacks.allSatisfy { $0.hasPrefix("ChildEBP RetAddr  Args to Child") })
    let abcFunctions = Set(
      stacks.flatMap { $0.split(separator: "\n") }.compactMap { line -> String? in
        guard let range = line.range(of: "Abc!") else { return nil }
        return String(line[range.lowerBound...].prefix { $0 != "+" })
      })
    #expect(abcFunctions.count >= 2, "different Abc call sites on the stacks: \(abcFunctions)")

    // The tag immediates, found and patched.
    let sites = Self.outputs(t, of: "s -b f7a00000 f7a02000 68 41 62 63 20").first ?? ""
    #expect(sites.split(separator: "\n").filter { $0.contains("68 41 62 63 20") }.count == 3)
    #expect(Self.outputs(t, of: "u Abc!AbcLogEvent L6").last?.contains("push    20336241h") == true)

    // Ab1 and Ab2 stay bounded; Ab3 keeps growing: the event log is the leak.
    let usage = Self.outputs(t, of: "!poolused 4 Ab*")
    #expect(usage.count == 2)
    guard usage.count == 2 else { return }
    let (ab3Before, ab3After) = (Self.pagedAllocs(usage[0], "Ab3") ?? 0, Self.pagedAllocs(usage[1], "Ab3") ?? 0)
    #expect(ab3Before > 0 && ab3After > ab3Before, "Ab3 grows: \(ab3Before) -> \(ab3After)")
    for (tag, bound) in [("Ab1", 16), ("Ab2", 64)] {
      for table in usage { #expect((Self.pagedAllocs(table, tag) ?? 0) <= bound, "\(tag) bounded by \(bound)") }
    }
    let leaked = Self.outputs(t, of: "!poolfind Ab3 1").first ?? ""
    #expect(leaked.split(separator: "\n").filter { $0.contains("(Allocated) Ab3") }.count >= ab3Before)
    #expect(Self.outputs(t, of: "ln Abc!AbcLogEvent+8").first?.contains("Abc!AbcLogEvent+0x8") == true)
  }

  @Test func walkthroughOverTLSOnLoopback() throws {
    try runWalkthrough()
  }

  @Test(.enabled(if: NetworkNamespace.available, "needs root and iproute2 to make a network namespace"))
  func walkthroughWithTheTargetInAnotherNetworkNamespace() throws {
    let namespace = try NetworkNamespace()
    defer { namespace.tearDown() }
    // A non-loopback address needs an authentication mode: a token file, as docs/DEPLOY.md shows.
    let token = makeTemporaryDirectory("token") + "/token"
    writeFile(token, (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined())
    try runWalkthrough(
      server: ["--token-file", token], listen: "\(namespace.address):0", wrapper: namespace.wrapper,
      host: namespace.address)
  }
}
