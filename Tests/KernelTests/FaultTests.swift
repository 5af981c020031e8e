import Foundation
import Testing

@testable import KDKernel

@Suite struct FaultTests {
  /// A faulting driver stops the target with a bug check at nt!KeBugCheckEx's int 3, KiBugCheckData
  /// holds the code and parameters, the stack walks back into the faulting routine, and the target
  /// refuses to continue.
  @Test(arguments: [
    ("faultNullWrite", UInt32(0x50), "FaultyTouch"),
    ("faultDivide", UInt32(0x8e), "FaultyDivide"),
    ("faultInvalidOpcode", UInt32(0x8e), "FaultyInvalidOpcode"),
    ("faultDoubleFree", UInt32(0xc2), "FaultyDoubleFree"),
    ("faultBugCheck", UInt32(0xe2), "FaultyBugCheck"),
  ])
  func faultingDriverBugChecks(scenario: String, code: UInt32, routine: String) throws {
    let h = try Harness(scenario)
    let e = try h.run(seconds: 5)
    guard case .bugCheck(let got, let params) = e.reason else {
      Issue.record("expected a bug check, got \(e.reason)")
      return
    }
    #expect(got == code)
    let keBugCheckEx = try h.symbol("nt", "KeBugCheckEx")
    #expect(e.pc > keBugCheckEx.address && e.pc < keBugCheckEx.address + keBugCheckEx.size)
    #expect(try h.read(e.pc, 1) == [0xcc])
    let data = try (0..<5).map { try h.readU32(try h.nt("KiBugCheckData") + UInt32(4 * $0)) }
    #expect(data == [code] + params)
    let fn = try h.symbol("Faulty", routine)
    #expect(e.stack.contains { $0.instructionPointer >= fn.address && $0.instructionPointer < fn.address + fn.size })
    if code == 0x50 { #expect(params[0] == 0x10 && params[1] == 1) }
    if code == 0xc2 { #expect(params[0] == 7) }
    if code == 0xe2 { #expect(params == [1, 2, 3, 4]) }
    #expect(throws: KernelError.targetBugChecked(code: code)) {
      try h.kernel.sync { c throws(KernelError) in try c.resume(singleStep: false) }
    }
    // A reboot brings it back.
    let halts = h.haltCount
    let (state, time) = try h.kernel.sync { c throws(KernelError) in
      try c.reboot()
      return (c.runState, c.virtualTime)
    }
    #expect(state == .running && time == 0)
    // The fresh boot runs into the same fault again.
    guard case .bugCheck(let again, _) = try h.waitForHalt(after: halts).reason else {
      Issue.record("no bug check after the reboot")
      return
    }
    #expect(again == code)
  }

  @Test func malformedObjectIsRefusedNamingTheFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data([0x4c, 0x01, 0x05, 0x00, 1, 2, 3]).write(to: dir.appendingPathComponent("Bad.obj"))
    try Data(#"{"name":"bad","modules":[{"name":"Bad","object":"Bad.obj"}]}"#.utf8).write(
      to: dir.appendingPathComponent("scenario.json"))
    do {
      _ = try Kernel(configuration: KernelConfiguration(scenario: dir.appendingPathComponent("scenario.json").path))
      Issue.record("loaded a malformed object")
    } catch {
      guard case .malformedObject(let file, _, let reason) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(file.hasSuffix("Bad.obj"))
      #expect(reason.contains("truncated"))
    }
  }

  @Test func wrongMachineAndBadManifestAreRefused() throws {
    var bytes = [UInt8](repeating: 0, count: 64)
    bytes[0] = 0x64
    bytes[1] = 0x86  // x64
    #expect(
      throws: KernelError.malformedObject(file: "x.obj", offset: 0, reason: "machine 0x8664, expected 0x14c (i386)")
    ) {
      _ = try COFFObject(bytes: bytes, file: "x.obj")
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let manifest = dir.appendingPathComponent("scenario.json")
    try Data(#"{"name":"bad","modules":"#.utf8).write(to: manifest)
    do {
      _ = try Kernel(configuration: KernelConfiguration(scenario: manifest.path))
      Issue.record("loaded a malformed manifest")
    } catch {
      guard case .malformedManifest(let file, _) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(file == manifest.path)
    }
  }
}

/// Sizes in a COFF object are the operator's input: absurd ones are refused naming the file, never a trap.
@Suite struct LoaderSizeTests {
  @Test func hugeUninitializedSectionIsRefused() throws {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios/faults/Faulty.obj")
    var bytes = [UInt8](try Data(contentsOf: source))
    func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
    let headers = 20 + u16(16)
    let bss = try #require(
      (0..<u16(2)).map { headers + $0 * 40 }.first { Array(bytes[$0..<$0 + 4]) == Array(".bss".utf8) })
    for (k, b) in [0x00, 0xf8, 0xff, 0xff].enumerated() { bytes[bss + 8 + k] = UInt8(b) }  // VirtualSize fffff800
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(bytes).write(to: dir.appendingPathComponent("Big.obj"))
    try Data(#"{"name":"big","modules":[{"name":"Big","object":"Big.obj"}]}"#.utf8).write(
      to: dir.appendingPathComponent("scenario.json"))
    do {
      _ = try Kernel(configuration: KernelConfiguration(scenario: dir.appendingPathComponent("scenario.json").path))
      Issue.record("loaded a section of fffff800 bytes")
    } catch {
      guard case .malformedObject(let file, _, let reason) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(file.hasSuffix("Big.obj") && reason.contains("16 MiB"))
    }
  }
}
