import Foundation

/// Where the bundled scenarios are found, in order:
/// 1. `--scenarios DIR` (``KernelConfiguration/scenariosDirectory``): when given, the only place tried;
/// 2. `<directory of the executable>/../share/swift-kd/Scenarios`: an install (Deploy/install.sh);
/// 3. `<directory of the executable>/swift-kd_KDKernel.resources/Scenarios`: SwiftPM's layout beside a built binary.
///
/// The executable is the running one with its symbolic links resolved. Never `Bundle.module`, whose fallback is the
/// build directory's absolute path (and which traps when that is gone).
public enum ScenarioDirectory {
  /// Relative to the executable's directory: an install's layout.
  public static let installed = "../share/swift-kd/Scenarios"
  /// Relative to the executable's directory: the resource bundle SwiftPM builds next to the binaries.
  public static let besideBinary = "swift-kd_KDKernel.resources/Scenarios"

  /// The places tried for `explicit` (`--scenarios`) and the executable at `executable`, in order.
  public static func candidates(explicit: String?, executable: String?) -> [String] {
    if let explicit { return [explicit] }
    guard let executable else { return [] }
    let directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    return [installed, besideBinary].map { directory.appendingPathComponent($0).standardized.path }
  }

  /// The first candidate that is a directory, or ``KernelError/scenarioBundleNotFound(tried:)`` listing them all.
  public static func locate(explicit: String?, executable: String? = runningExecutable()) throws(KernelError)
    -> String
  {
    let tried = candidates(explicit: explicit, executable: executable)
    for path in tried {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        return path
      }
    }
    throw .scenarioBundleNotFound(tried: tried)
  }

  /// The running executable's path, symbolic links resolved (Linux: /proc/self/exe); nil if it cannot be known.
  public static func runningExecutable() -> String? {
    for candidate in ["/proc/self/exe", Bundle.main.executablePath].compactMap({ $0 }) {
      if let resolved = realpath(candidate, nil) {
        defer { free(resolved) }
        return String(cString: resolved)
      }
    }
    return nil
  }

  /// The bundled scenario names in `directory` (subdirectories holding a scenario.json), sorted.
  static func names(in directory: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return entries.filter { FileManager.default.fileExists(atPath: directory + "/" + $0 + "/scenario.json") }.sorted()
  }
}
