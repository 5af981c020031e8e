import Foundation
import KDProtocol
import KDTransport

extension RemoteTarget {
  /// Connects as `kd --connect HOST:PORT` does: verifies the server by CA or pinned fingerprint, presents a client
  /// certificate and a token when given, says hello. Debug print output from the target goes to `onDebugPrint`.
  public static func connect(
    _ options: ConnectionOptions, breakOnAttach: Bool = false,
    onDebugPrint: @escaping @Sendable (String, UInt32) -> Void = RemoteTarget.printDebugOutput
  ) throws -> RemoteTarget {
    guard let address = options.connect else { throw RemoteError.configuration("no --connect HOST:PORT given") }
    let (host, port) = try splitHostPort(address)
    let token = try options.tokenFile.map(readToken) ?? []
    let tls = TLSClientOptions(
      caPath: options.ca, fingerprint: options.fingerprint, certificatePath: options.cert, keyPath: options.key)
    return try connect(
      host: host, port: port, tls: tls, token: token, controller: !options.observe, breakOnAttach: breakOnAttach,
      onDebugPrint: onDebugPrint)
  }

  /// The token in a `--token-file` (surrounding whitespace dropped), for the hello.
  package static func readToken(_ path: String) throws(RemoteError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw RemoteError.configuration("cannot read token file \(path)")
    }
    let token = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    guard token.count <= Limits.maxTokenLength else {
      throw RemoteError.configuration(
        "token file \(path) holds \(token.count) bytes; a hello carries at most \(Limits.maxTokenLength)")
    }
    return token
  }

  public static func connect(
    host: String, port: UInt16, tls: TLSClientOptions, token: [UInt8] = [], controller: Bool = true,
    breakOnAttach: Bool = false,
    onDebugPrint: @escaping @Sendable (String, UInt32) -> Void = RemoteTarget.printDebugOutput
  ) throws -> RemoteTarget {
    var remote = RemoteConnection.Options(tls: tls)
    remote.token = token
    remote.wantController = controller
    remote.breakOnAttach = breakOnAttach
    let connection = try RemoteConnection(host: host, port: port, options: remote, onDebugPrint: onDebugPrint)
    return RemoteTarget(connection: connection)
  }

  /// Default sink for the target's DbgPrint output: stdout, as KD shows it, with a note when some were dropped.
  @Sendable public static func printDebugOutput(_ text: String, dropped: UInt32) {
    var out = ""
    if dropped > 0 { out += "[\(dropped) debug print(s) dropped: output was not read fast enough]\n" }
    out += text
    if !out.hasSuffix("\n") { out += "\n" }
    FileHandle.standardOutput.write(Data(out.utf8))
  }

  static func splitHostPort(_ text: String) throws(RemoteError) -> (String, UInt16) {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
      throw .configuration("--connect wants HOST:PORT, got '\(text)'")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host, port)
  }
}
