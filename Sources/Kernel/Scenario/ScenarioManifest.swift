import Foundation

/// A scenario: which driver images to load in which order, extra threads to start, seed, pacing, era.
/// Format and a worked example: docs/SCENARIOS.md.
struct ScenarioManifest: Decodable {
  struct Module: Decodable {
    /// Module name as KD shows it ("Abc"); the image name is name + ".sys".
    var name: String
    /// The driver's PE image (`Abc.sys`), relative to the manifest; its PDB is the file its CodeView record
    /// names, beside it.
    var image: String
    /// C source the image is built from (documentation and the rebuild check).
    var source: String?
  }

  struct Thread: Decodable {
    var module: String
    /// Undecorated name of a `VOID (*)(PVOID)` routine in that module.
    var routine: String
    var context: UInt32?
  }

  /// Ground truth (ours, for `kd score`): a call site the scenario's drivers make leak, as the source says.
  struct Leak: Decodable {
    /// The module and the undecorated function that calls ExAllocatePoolWithTag for the leaked blocks.
    var module: String
    var symbol: String
    /// The tag as `!poolused` shows it: four characters.
    var tag: String
    var blocksPerSecond: Double
    var bytesPerSecond: Double
    /// Whether the leaked blocks stay reachable from the driver's data (a growing list) or are lost.
    var referenced: Bool
  }

  var name: String
  var description: String?
  var seed: UInt64?
  var pace: Double?
  var era: KernelEra?
  var modules: [Module]
  var threads: [Thread]?
  /// The leaking sites (none listed: none leaks, or the scenario does not say).
  var leaks: [Leak]?

  /// The manifest and the directory its paths are relative to. A bundled name is looked up in the directory
  /// ``ScenarioDirectory`` finds (`scenariosDirectory` is `--scenarios`); a manifest path needs no bundle.
  static func load(_ nameOrPath: String, scenariosDirectory: String? = nil) throws(KernelError) -> (
    ScenarioManifest, URL
  ) {
    let url: URL
    let isPath = nameOrPath.hasSuffix(".json") || nameOrPath.contains("/")
    if isPath {
      url = URL(fileURLWithPath: nameOrPath)
    } else {
      let root = try ScenarioDirectory.locate(explicit: scenariosDirectory)
      url = URL(fileURLWithPath: root).appendingPathComponent(nameOrPath).appendingPathComponent("scenario.json")
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw .scenarioNotFound(name: nameOrPath, directory: root, available: ScenarioDirectory.names(in: root))
      }
    }
    let data = Data(try readFile(url))
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
    for l in manifest.leaks ?? [] {
      for rate in [l.blocksPerSecond, l.bytesPerSecond] where !(rate >= 0 && rate < 1e12) {
        throw .malformedManifest(file: url.path, reason: "leak \(l.symbol): rate \(rate) is not in [0, 1e12)")
      }
      guard names.contains(l.module) else {
        throw .malformedManifest(file: url.path, reason: "leak \(l.symbol) names unknown module \(l.module)")
      }
      guard l.tag.utf8.count == 4, l.tag.unicodeScalars.allSatisfy({ $0.isASCII }) else {
        throw .malformedManifest(file: url.path, reason: "leak \(l.symbol): tag \"\(l.tag)\" is not 4 ASCII characters")
      }
    }
    for t in manifest.threads ?? [] where !names.contains(t.module) {
      throw .malformedManifest(file: url.path, reason: "thread routine \(t.routine) names unknown module \(t.module)")
    }
    return (manifest, url.deletingLastPathComponent())
  }

  /// The bytes of a file the manifest names (or the manifest), with the errno of a failure.
  static func readFile(_ url: URL) throws(KernelError) -> [UInt8] {
    guard let file = fopen(url.path, "rb") else { throw .fileUnreadable(path: url.path, errno: errno) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      bytes += buffer[0..<n]
      if n < buffer.count { break }
    }
    guard ferror(file) == 0 else { throw .fileUnreadable(path: url.path, errno: errno) }
    return bytes
  }
}
