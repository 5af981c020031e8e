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

  @Test func malformedImageIsRefusedNamingTheFile() throws {
    let error = try #require(loadError(image: Array("MZ".utf8) + [1, 2, 3]))
    guard case .malformedImage(let file, let reason) = error else {
      Issue.record("\(error)")
      return
    }
    #expect(file.hasSuffix("Bad.sys"))
    #expect(reason.contains("PE headers"))
  }

  @Test func wrongMachineAndBadManifestAreRefused() throws {
    var faulty = try faultyImage()
    let machine = peHeader(faulty) + 4
    faulty[machine] = 0x64
    faulty[machine + 1] = 0x86  // x64
    #expect(
      loadError(image: faulty) == .malformedImage(file: "Bad.sys", reason: "machine 0x8664, expected 0x14c (i386)"))
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

/// A copy of the bundled Faulty.sys, and where its PE header is.
func faultyImage() throws -> [UInt8] {
  let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios/faults/Faulty.sys")
  return [UInt8](try Data(contentsOf: source))
}

func peHeader(_ image: [UInt8]) -> Int { Int(image[0x3c]) | Int(image[0x3d]) << 8 }

/// What booting a scenario of one driver, `image` as Bad.sys (no PDB), is refused with; the file names the image
/// by its last path component.
func loadError(image: [UInt8]) -> KernelError? {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-\(UUID().uuidString)")
  defer { try? FileManager.default.removeItem(at: dir) }
  do {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data(image).write(to: dir.appendingPathComponent("Bad.sys"))
    try Data(#"{"name":"bad","modules":[{"name":"Bad","image":"Bad.sys"}]}"#.utf8).write(
      to: dir.appendingPathComponent("scenario.json"))
  } catch {
    Issue.record("cannot write the scenario: \(error)")
    return nil
  }
  do {
    _ = try Kernel(configuration: KernelConfiguration(scenario: dir.appendingPathComponent("scenario.json").path))
    return nil
  } catch {
    switch error {
    case .malformedImage(let file, let reason):
      return .malformedImage(file: URL(fileURLWithPath: file).lastPathComponent, reason: reason)
    case .unresolvedImport(let file, let symbol):
      return .unresolvedImport(file: URL(fileURLWithPath: file).lastPathComponent, symbol: symbol)
    default: return error
    }
  }
}

/// Sizes in a driver image are the operator's input: absurd ones are refused naming the file, never a trap.
@Suite struct LoaderSizeTests {
  @Test func hugeImageIsRefused() throws {
    var faulty = try faultyImage()
    let sizeOfImage = peHeader(faulty) + 24 + 56
    for (k, b) in [0x00, 0x00, 0x00, 0x02].enumerated() { faulty[sizeOfImage + k] = UInt8(b) }  // 32 MiB
    let error = try #require(loadError(image: faulty))
    guard case .malformedImage(let file, let reason) = error else {
      Issue.record("\(error)")
      return
    }
    #expect(file == "Bad.sys" && reason.contains("16 MiB"))
  }

  /// Every header and section-table byte of Faulty.sys set to ff in turn (and the file cut short there): each
  /// image boots or is refused with a KernelError, none traps.
  @Test func corruptHeadersAreRefusedNotTrapped() throws {
    let faulty = try faultyImage()
    var refused = 0
    for offset in stride(from: 0, to: 0x300, by: 3) {
      var bad = faulty
      bad[offset] = 0xff
      if loadError(image: bad) != nil { refused += 1 }
      if loadError(image: Array(faulty[..<offset])) != nil { refused += 1 }
    }
    #expect(refused > 0x100)
  }

  @Test func importNtDoesNotExportIsRefused() throws {
    var faulty = try faultyImage()
    // Rename one imported routine in the hint/name table: KeBugCheckEx becomes KeBugCheckEy.
    let name = Array("KeBugCheckEx\0".utf8)
    let at = try #require((0..<faulty.count - name.count).first { Array(faulty[$0..<$0 + name.count]) == name })
    faulty[at + 11] = UInt8(ascii: "y")
    #expect(loadError(image: faulty) == .unresolvedImport(file: "Bad.sys", symbol: "ntoskrnl.exe!KeBugCheckEy"))
  }
}
