import Foundation
import Testing

@testable import KDKernel

/// Where the bundled scenarios are found (issue 10, item 7): `--scenarios`, then an install's
/// `../share/swift-kd/Scenarios`, then SwiftPM's bundle beside the binary; never the build directory.
@Suite struct ScenarioDirectoryTests {
  /// A fake install: PREFIX/bin/kdserver (not run, only its path matters) and the directories asked for.
  struct Layout {
    let prefix: String
    var executable: String { prefix + "/bin/kdserver" }
    var installed: String { prefix + "/share/swift-kd/Scenarios" }
    var besideBinary: String { prefix + "/bin/swift-kd_KDKernel.resources/Scenarios" }

    init(installed: Bool, besideBinary: Bool) throws {
      prefix = FileManager.default.temporaryDirectory.appendingPathComponent("kdk-prefix-\(UUID().uuidString)").path
      try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
      try Data().write(to: URL(fileURLWithPath: executable))
      for (wanted, path) in [(installed, self.installed), (besideBinary, self.besideBinary)] where wanted {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      }
    }

    func remove() { try? FileManager.default.removeItem(atPath: prefix) }
  }

  @Test func installedLayoutComesBeforeTheBundleBesideTheBinary() throws {
    let both = try Layout(installed: true, besideBinary: true)
    defer { both.remove() }
    #expect(try ScenarioDirectory.locate(explicit: nil, executable: both.executable) == both.installed)
    try FileManager.default.removeItem(atPath: both.installed)
    #expect(try ScenarioDirectory.locate(explicit: nil, executable: both.executable) == both.besideBinary)
  }

  @Test func missingEverywhereListsEveryPlaceTried() throws {
    let none = try Layout(installed: false, besideBinary: false)
    defer { none.remove() }
    #expect(throws: KernelError.scenarioBundleNotFound(tried: [none.installed, none.besideBinary])) {
      try ScenarioDirectory.locate(explicit: nil, executable: none.executable)
    }
    let error = KernelError.scenarioBundleNotFound(tried: [none.installed, none.besideBinary])
    #expect(error.description.contains(none.installed) && error.description.contains(none.besideBinary))
    #expect(error.description.contains("--scenarios DIR"))
  }

  @Test func explicitDirectoryIsTheOnlyPlaceTried() throws {
    let both = try Layout(installed: true, besideBinary: true)
    defer { both.remove() }
    let explicit = both.prefix + "/mine"
    #expect(throws: KernelError.scenarioBundleNotFound(tried: [explicit])) {
      try ScenarioDirectory.locate(explicit: explicit, executable: both.executable)
    }
    try Data("a file, not a directory".utf8).write(to: URL(fileURLWithPath: explicit))
    #expect(throws: KernelError.scenarioBundleNotFound(tried: [explicit])) {
      try ScenarioDirectory.locate(explicit: explicit, executable: both.executable)
    }
    try FileManager.default.removeItem(atPath: explicit)
    try FileManager.default.createDirectory(atPath: explicit, withIntermediateDirectories: false)
    #expect(try ScenarioDirectory.locate(explicit: explicit, executable: both.executable) == explicit)
  }

  /// This test process is a built binary in the build directory: it finds SwiftPM's bundle beside itself.
  @Test func theTestBinaryFindsTheBundleBesideItself() throws {
    let executable = try #require(ScenarioDirectory.runningExecutable())
    #expect(!executable.hasPrefix("/proc/"))
    let found = try ScenarioDirectory.locate(explicit: nil)
    #expect(
      found
        == URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(
          ScenarioDirectory.besideBinary
        ).path)
  }

  @Test func kernelBootsFromScenariosGivenAndNamesWhatIsThere() throws {
    let layout = try Layout(installed: false, besideBinary: false)
    defer { layout.remove() }
    let scenarios = layout.prefix + "/scenarios"
    let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Kernel/Scenarios/default").path
    try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: false)
    try FileManager.default.copyItem(atPath: shipped, toPath: scenarios + "/copied")
    let kernel = try Kernel(
      configuration: KernelConfiguration(scenario: "copied", pace: 0, scenariosDirectory: scenarios))
    let modules = try kernel.sync { c in c.modules().map(\.name) }
    kernel.shutdown()
    #expect(modules.contains("Abc"))
    #expect(throws: KernelError.scenarioNotFound(name: "default", directory: scenarios, available: ["copied"])) {
      _ = try Kernel(configuration: KernelConfiguration(scenario: "default", pace: 0, scenariosDirectory: scenarios))
    }
    #expect(throws: KernelError.scenarioBundleNotFound(tried: ["/nonexistent"])) {
      _ = try Kernel(configuration: KernelConfiguration(pace: 0, scenariosDirectory: "/nonexistent"))
    }
  }
}
