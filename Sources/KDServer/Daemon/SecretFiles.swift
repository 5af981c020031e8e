import KDTransport

#if canImport(Glibc)
  import Glibc
#endif

/// ssh's rule for the daemon's secrets on disk: a private key or token file that group or others may open,
/// or a state directory (where the self-signed key is kept) that they may write, is refused at start unless
/// `--allow-insecure-permissions`. A path that cannot be examined is left to the loader that opens it, which
/// reports why.
enum SecretFiles {
  /// Group and other bits that make a secret file refused (ssh refuses the same: `chmod 600` is the fix).
  static let fileBitsRefused: UInt32 = 0o077
  /// Group and other write bits that make the state directory refused.
  static let directoryBitsRefused: UInt32 = 0o022

  static func check(_ configuration: ServerConfiguration) throws(ServerError) {
    if let key = configuration.keyPath { try checkFile(key, what: "private key (--key)") }
    if let token = configuration.tokenPath { try checkFile(token, what: "token file (--token-file)") }
    if configuration.certificatePath == nil {
      let directory = configuration.stateDirectory
      if let mode = mode(of: directory), mode & directoryBitsRefused != 0 {
        throw .insecurePermissions(
          path: directory, what: "state directory (--state-dir)", mode: mode,
          problem: access(mode & directoryBitsRefused) + " (so they can replace the identity kept there)",
          fix: "chmod 700 \(shellQuoted(directory))")
      }
      try checkFile(TLSServerOptions.selfSignedKeyPath(in: directory), what: "self-signed private key")
    }
  }

  static func checkFile(_ path: String, what: String) throws(ServerError) {
    guard let mode = mode(of: path), mode & fileBitsRefused != 0 else { return }
    throw .insecurePermissions(
      path: path, what: what, mode: mode, problem: access(mode & fileBitsRefused),
      fix: "chmod 600 \(shellQuoted(path))")
  }

  /// Permission bits (the low 12) of `path`, following symbolic links as `open` does; nil when it cannot be examined.
  static func mode(of path: String) -> UInt32? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return UInt32(status.st_mode) & 0o7777
  }

  /// What `mode`'s group and other bits allow: "group can read; others can read".
  static func access(_ mode: UInt32) -> String {
    var parts: [String] = []
    for (shift, who) in [(UInt32(3), "group"), (0, "others")] {
      let bits = mode >> shift & 0o7
      let verbs = [(UInt32(0o4), "read"), (0o2, "write"), (0o1, "execute")].filter { bits & $0.0 != 0 }.map(\.1)
      if !verbs.isEmpty { parts.append("\(who) can " + verbs.joined(separator: " and ")) }
    }
    return parts.joined(separator: "; ")
  }

  /// `path` as a shell word: as is when it holds only safe characters, else in single quotes.
  static func shellQuoted(_ path: String) -> String {
    let safe = path.utf8.allSatisfy { b in
      (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7a) || "/._-+,:@%".utf8.contains(b)
    }
    return safe && !path.isEmpty
      ? path : "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }
}
