import Foundation
import Testing

@testable import KDKernel

@Suite struct ScenarioObjectTests {
  /// The shipped COFF objects are exactly what build.sh makes from their C sources (when clang is here).
  @Test func shippedObjectsMatchTheirSources() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios")
    guard
      let clang = ["/opt/swift/usr/bin/clang", "/usr/bin/clang"].first(where: {
        FileManager.default.isExecutableFile(atPath: $0)
      })
    else {
      return  // no compiler on this host: nothing to compare against
    }
    let flags = try String(contentsOf: root.appendingPathComponent("clang-flags.txt"), encoding: .utf8)
      .split(separator: " ").map(String.init)
    let sources = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".c") }
    #expect(sources.count >= 6)
    for source in sources {
      let dir = root.appendingPathComponent(source).deletingLastPathComponent()
      let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
      let out = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString).obj")
      defer { try? FileManager.default.removeItem(at: out) }
      let p = Process()
      p.executableURL = URL(fileURLWithPath: clang)
      p.currentDirectoryURL = dir
      p.arguments = flags + ["-c", "\(name).c", "-o", out.path]
      try p.run()
      p.waitUntilExit()
      #expect(p.terminationStatus == 0, "\(source) did not compile")
      let built = try Data(contentsOf: out)
      let shipped = try Data(contentsOf: dir.appendingPathComponent("\(name).obj"))
      #expect(built == shipped, "\(source): shipped object is stale; run Sources/Kernel/Scenarios/build.sh")
    }
  }

  /// PsLoadedModuleList walked with memory reads gives every module with its base, size and name.
  @Test func loadedModuleListIsWalkableFromMemory() throws {
    let h = try Harness()
    let head = try h.nt("PsLoadedModuleList")
    var names: [String] = []
    var entry = try h.readU32(head)
    while entry != head, names.count < 20 {
      let base = try h.readU32(entry + 0x18)
      let size = try h.readU32(entry + 0x20)
      let length = Int(try h.read(entry + 0x2c, 2)[0])
      let buffer = try h.readU32(entry + 0x30)
      let utf16 = try h.read(buffer, length)
      let name = String(
        decoding: stride(from: 0, to: length, by: 2).map { UInt16(utf16[$0]) | UInt16(utf16[$0 + 1]) << 8 },
        as: UTF16.self)
      names.append(name)
      let module = try h.kernel.sync { c in c.modules().first { $0.ldrEntry == entry } }
      #expect(module?.base == base && module?.size == size)
      #expect(try h.read(base, 2) == [0x4d, 0x5a])  // MZ
      entry = try h.readU32(entry)
    }
    #expect(names == ["ntoskrnl.exe", "Abc.sys", "Tron.sys", "IoN7.sys", "Gla5.sys", "Ggb.sys"])
    #expect(try h.kernel.sync { c in c.version() }.psLoadedModuleList == head)
  }

  @Test func driverSymbolsIncludeGlobalsAndUndecoratedFunctions() throws {
    let h = try Harness()
    let symbols = try h.kernel.sync { c in c.symbols(moduleBase: c.modules()[1].base)! }
    let log = try #require(symbols.first { $0.name == "LogHead" })
    #expect(!log.isStatic && log.kind == .data)
    let worker = try #require(symbols.first { $0.name == "AbcLogWorker" })
    #expect(!worker.isStatic && worker.kind == .function && worker.size > 0)
    #expect(symbols.contains { $0.name == "DriverEntry" })
    // nt's exports are real stubs: push ebp; mov ebp,esp.
    let alloc = try h.symbol("nt", "ExAllocatePoolWithTag")
    #expect(try h.read(alloc.address, 3) == [0x55, 0x8b, 0xec])
  }

  /// The same seed gives the same run, also when the debugger reads memory all the while (each read
  /// stops the engine between two instructions).
  @Test func runsAreDeterministicForASeed() throws {
    func snapshot(readWhileRunning: Bool) throws -> [String: [UInt32]] {
      let h = try Harness()
      let before = h.haltCount
      try h.kernel.sync { c throws(KernelError) in
        c.haltAt(virtualTime: 200_000_000)
        try c.resume(singleStep: false)
      }
      if readWhileRunning {
        var reads = 0
        while h.haltCount == before {
          _ = try h.read(0x804d_a000, 4)
          reads += 1
        }
        #expect(reads > 10)
      }
      #expect(try h.waitForHalt(after: before).reason == .timeLimit)
      return try h.trackTable()
    }
    let quiet = try snapshot(readWhileRunning: false)
    #expect(try snapshot(readWhileRunning: false) == quiet)
    #expect(try snapshot(readWhileRunning: true) == quiet)
  }
}
