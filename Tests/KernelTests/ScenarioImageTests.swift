import Foundation
import Testing

@testable import KDKernel

@Suite struct ScenarioImageTests {
  static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios")

  /// A tool on PATH (or in /usr/bin), as build.sh finds it.
  static func tool(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The shipped driver images and PDBs are exactly what build.sh makes from their C sources (when clang and
  /// lld-link are here): every file byte for byte, built afresh in another directory.
  @Test func shippedImagesMatchTheirSources() throws {
    guard Self.tool("clang") != nil, Self.tool("lld-link") != nil else {
      return  // no toolchain on this host: nothing to compare against
    }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-images-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [Self.scenarios.appendingPathComponent("build.sh").path, out.path]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "build.sh failed")
    let sources = try FileManager.default.subpathsOfDirectory(atPath: Self.scenarios.path).filter { $0.hasSuffix(".c") }
    #expect(sources.count >= 11)
    for source in sources {
      for ext in ["sys", "pdb"] {
        let file = String(source.dropLast(2)) + "." + ext
        let built = try Data(contentsOf: out.appendingPathComponent(file))
        let shipped = try Data(contentsOf: Self.scenarios.appendingPathComponent(file))
        #expect(built == shipped, "\(file) is stale; run Sources/Kernel/Scenarios/build.sh")
      }
    }
  }

  /// Every routine in the list ntoskrnl.lib is made from is one nt exports, so an import that links resolves.
  @Test func importLibraryListsOnlyNtExports() throws {
    let list = try String(
      contentsOf: Self.scenarios.appendingPathComponent("include/ntoskrnl.exports"), encoding: .utf8)
    let names = list.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
      .map { String($0.split(separator: "@")[0]) }
    #expect(names.count >= 20)
    let nt = try NtModule()
    for name in names { #expect(nt.exports[name] != nil, "nt does not export \(name)") }
  }
}
