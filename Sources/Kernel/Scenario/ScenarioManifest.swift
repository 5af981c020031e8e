import Foundation

/// A scenario: which driver objects to load in which order, extra threads to start, seed, pacing, era.
/// Format and a worked example: docs/SCENARIOS.md.
struct ScenarioManifest: Decodable {
  struct Module: Decodable {
    /// Module name as KD shows it ("Abc"); the image name is name + ".sys".
    var name: String
    /// COFF object, relative to the manifest.
    var object: String
    /// C source the object is built from (documentation and the rebuild check).
    var source: String?
  }

  struct Thread: Decodable {
    var module: String
    /// Undecorated name of a `VOID (*)(PVOID)` routine in that module.
    var routine: String
    var context: UInt32?
  }

  var name: String
  var description: String?
  var seed: UInt64?
  var pace: Double?
  var era: KernelEra?
  var modules: [Module]
  var threads: [Thread]?

  /// The manifest and the directory its paths are relative to.
  static func load(_ nameOrPath: String) throws(KernelError) -> (ScenarioManifest, URL) {
    let url: URL
    if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
      url = URL(fileURLWithPath: nameOrPath)
    } else {
      guard let root = Bundle.module.url(forResource: "Scenarios", withExtension: nil) else {
        throw .scenarioNotFound(nameOrPath)
      }
      url = root.appendingPathComponent(nameOrPath).appendingPathComponent("scenario.json")
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
      if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
        throw .fileUnreadable(path: url.path, errno: ENOENT)
      }
      throw .scenarioNotFound(nameOrPath)
    }
    let manifest: ScenarioManifest
    do {
      manifest = try JSONDecoder().decode(ScenarioManifest.self, from: data)
    } catch {
      throw .malformedManifest(file: url.path, reason: "\(error)")
    }
    guard !manifest.modules.isEmpty else { throw .malformedManifest(file: url.path, reason: "no modules") }
    let names = manifest.modules.map(\.name)
    guard Set(names).count == names.count else {
      throw .malformedManifest(file: url.path, reason: "duplicate module names")
    }
    for t in manifest.threads ?? [] where !names.contains(t.module) {
      throw .malformedManifest(file: url.path, reason: "thread routine \(t.routine) names unknown module \(t.module)")
    }
    return (manifest, url.deletingLastPathComponent())
  }

  static func readObject(_ url: URL) throws(KernelError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw .fileUnreadable(path: url.path, errno: ENOENT)
    }
    return [UInt8](data)
  }
}
