import Foundation
import KDTestSupport
import SwiftKD
import Testing

/// The Swift API (docs/COMMANDS.md, "Swift API"): `SwiftKD.Debugger` against the embedded target and against a
/// real kdserver process over TLS, with typed results beside KD's text.
@Suite struct SwiftAPITests {
  @Test func embeddedTargetGivesTypedResults() async throws {
    let kd = try await Debugger.embedded(scenario: "default")
    #expect(await kd.prompt == "kd> ")

    let usage = try #require(try await kd.run("!poolused 4").first)
    let entries = try #require(usage.poolUsage)
    #expect(!entries.isEmpty)
    #expect(entries.map(\.pagedBytes) == entries.map(\.pagedBytes).sorted(by: >))
    // The text is KD's layout of the same rows, in the same order.
    let rows = usage.lines.filter { $0.hasPrefix(" ") && !$0.hasPrefix(" Tag") && !$0.hasPrefix(" TOTAL") }
      .filter { $0.split(separator: " ").count == 5 && Int($0.split(separator: " ")[4]) != nil }
    #expect(rows.count == entries.count)
    for (row, entry) in zip(rows, entries) {
      #expect(row.hasPrefix(" " + entry.tagText), "\(row)")
      #expect(row.split(separator: " ").last == Substring(String(entry.pagedBytes)), "\(row)")
    }
    #expect(usage.stackFrames == nil && usage.memory == nil)

    let memory = try #require(try await kd.run("dd nt!PoolHitTag L2").first?.memory)
    #expect(memory.format == "dd" && memory.unitSize == 4 && memory.values.count == 2)
    #expect(memory.bytes.count == 8)

    let modules = try #require(try await kd.run("lm").first?.modules)
    let nt = try #require(modules.first { $0.name == "nt" })
    #expect(nt.base == 0x804d_7000 && nt.imageName == "ntoskrnl.exe")
    #expect(modules.contains { $0.name == "Abc" })

    let results = try await kd.run("ed nt!PoolHitTag ' cbA'; g", timeout: .seconds(60))
    let hit = try #require(results.last?.event)
    #expect(hit.kind == .exception && hit.exceptionCode == 0x8000_0003)
    let frames = try #require(try await kd.run("kb 3").first?.stackFrames)
    #expect(frames.count == 3)
    #expect(frames[0].instructionPointer == hit.pc)
    #expect(frames[0].symbol.hasPrefix("nt!Ex") && frames[0].symbol.hasSuffix("PoolWithTag+0x16"))
    #expect(frames[1].symbol.hasPrefix("Abc!"))
    #expect(frames[1].instructionPointer == frames[0].returnAddress)
  }

  @Test func aFailedCommandThrowsWithKDsErrorUnlessUnchecked() async throws {
    let kd = try await Debugger.embedded()
    await #expect {
      try await kd.run("? 1; dd nosuch; ? 2")
    } throws: { error in
      guard case DebuggerError.commandFailed(let r) = error else { return false }
      return r.command == "dd nosuch" && r.error == "Couldn't resolve error at 'nosuch'"
    }
    let all = try await kd.run("? 1; dd nosuch; ? 2", checked: false)
    #expect(all.map(\.succeeded) == [true, false, true])
  }

  @Test func concurrentTasksShareOneDebugger() async throws {
    let kd = try await Debugger.embedded()
    let values = try await withThrowingTaskGroup(of: String.self) { group in
      for i in 1...8 { group.addTask { try await kd.run("? \(i) * 0x10").first?.lines.first ?? "" } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(Set(values) == Set((1...8).map { "Evaluate expression: \($0 * 16) = \(String(format: "%08x", $0 * 16))" }))
  }

  @Test func kdserverOverTLSWithAPinnedFingerprintAndAToken() async throws {
    let dir = makeTemporaryDirectory("swift-api")
    let tokenFile = dir + "/token"
    writeFile(tokenFile, "0123456789abcdef0123456789abcdef\n")
    let (server, port, fingerprint) = try KDServerProcess.start(["--token-file", tokenFile])
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let kd = try await Debugger.connect(host: "127.0.0.1", port: port, fingerprint: fingerprint, tokenFile: tokenFile)
    let vertarget = try await kd.run("vertarget")
    #expect(vertarget.first?.lines.first?.hasPrefix("Windows") == true)
    let frames = try #require(try await kd.run("kb").first?.stackFrames)
    #expect(!frames.isEmpty)
    let modules = try #require(try await kd.run("lm").first?.modules)
    #expect(modules.contains { $0.name == "nt" && $0.base == 0x804d_7000 })
    _ = try await kd.run("q")
    #expect(await kd.hasEnded)

    // A wrong pin is refused before any command: the TLS handshake does not verify.
    await #expect(throws: (any Error).self) {
      _ = try await Debugger.connect(
        host: "127.0.0.1", port: port,
        fingerprint: "SHA256:" + Array(repeating: "00", count: 32).joined(separator: ":"),
        tokenFile: tokenFile)
    }
  }
}
