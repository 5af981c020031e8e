import Foundation
import KDServer
import KDTestSupport
import Testing

/// Secrets on disk (issue 10, item 6): real files with real modes in a temporary directory.
@Suite struct SecretFileTests {
  let directory = makeTemporaryDirectory("secrets")

  /// A file holding `text` with exactly `mode` (whatever the umask).
  func file(_ name: String, _ text: String = "00112233445566778899aabbccddeeff\n", mode: Int) throws -> String {
    let path = directory + "/" + name
    writeFile(path, text)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
  }

  func stateDirectory(mode: Int) throws -> String {
    let path = directory + "/state-\(String(mode, radix: 8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
  }

  /// The refusal `configuration.validate()` throws, or nil when it accepts.
  func refusal(_ configuration: ServerConfiguration) -> ServerError? {
    do {
      try configuration.validate()
      return nil
    } catch { return error }
  }

  @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o660])
  func keyOrTokenFileOthersCanOpenIsRefusedNamingFileModeAndFix(mode: Int) throws {
    let key = try file("server-key.pem", mode: mode)
    let token = try file("token", mode: mode)
    var withKey = ServerConfiguration(stateDirectory: try stateDirectory(mode: 0o700))
    withKey.certificatePath = directory + "/server.pem"
    withKey.keyPath = key
    var withToken = ServerConfiguration(stateDirectory: withKey.stateDirectory)
    withToken.tokenPath = token
    for (configuration, path, option) in [(withKey, key, "--key"), (withToken, token, "--token-file")] {
      let error = try #require(refusal(configuration), "\(path) at \(String(mode, radix: 8)) was accepted")
      guard case .insecurePermissions(let refusedPath, _, let refusedMode, _, let fix) = error else {
        throw TestFailure("wrong error: \(error)")
      }
      #expect(refusedPath == path)
      #expect(refusedMode == UInt32(mode))
      #expect(fix == "chmod 600 \(path)")
      let message = error.description
      #expect(message.contains(path) && message.contains(option), "\(message)")
      #expect(message.contains("mode 0\(String(mode, radix: 8))"), "\(message)")
      #expect(message.contains("chmod 600 \(path)") && message.contains("--allow-insecure-permissions"), "\(message)")
      var allowed = configuration
      allowed.allowInsecurePermissions = true
      #expect(refusal(allowed) == nil)
    }
  }

  @Test func ownerOnlyFilesAreAccepted() throws {
    var configuration = ServerConfiguration(stateDirectory: try stateDirectory(mode: 0o700))
    configuration.certificatePath = directory + "/server.pem"
    configuration.keyPath = try file("server-key.pem", mode: 0o600)
    configuration.tokenPath = try file("token", mode: 0o400)
    #expect(refusal(configuration) == nil)
  }

  @Test func refusalSaysWhoCanDoWhat() throws {
    var configuration = ServerConfiguration(stateDirectory: try stateDirectory(mode: 0o700))
    configuration.tokenPath = try file("token", mode: 0o646)
    let message = try #require(refusal(configuration)).description
    #expect(message.contains("group can read; others can read and write"), "\(message)")
  }

  @Test(arguments: [0o777, 0o770, 0o1777, 0o722])
  func stateDirectoryOthersCanWriteIsRefusedWhenItKeepsTheIdentity(mode: Int) throws {
    let state = try stateDirectory(mode: mode)
    let configuration = ServerConfiguration(stateDirectory: state)
    let error = try #require(refusal(configuration), "state directory at \(String(mode, radix: 8)) was accepted")
    guard case .insecurePermissions(let path, _, let refusedMode, _, let fix) = error else {
      throw TestFailure("wrong error: \(error)")
    }
    #expect(path == state && refusedMode == UInt32(mode) && fix == "chmod 700 \(state)")
    #expect(error.description.contains("--state-dir") && error.description.contains("can write"), "\(error)")
    var allowed = configuration
    allowed.allowInsecurePermissions = true
    #expect(refusal(allowed) == nil)
    // With --cert/--key the state directory keeps no identity, and is not examined.
    var configured = configuration
    configured.certificatePath = directory + "/server.pem"
    configured.keyPath = try file("server-key.pem", mode: 0o600)
    #expect(refusal(configured) == nil)
  }

  @Test func stateDirectoryOthersCanOnlyReadIsAccepted() throws {
    #expect(refusal(ServerConfiguration(stateDirectory: try stateDirectory(mode: 0o755))) == nil)
    #expect(refusal(ServerConfiguration(stateDirectory: directory + "/not-made-yet")) == nil)
  }

  @Test func selfSignedKeyOthersCanReadIsRefused() throws {
    let state = try stateDirectory(mode: 0o700)
    let key = state + "/server-selfsigned-key.pem"
    writeFile(key, "not a key: the mode is refused before the contents are read")
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
    let error = try #require(refusal(ServerConfiguration(stateDirectory: state)))
    #expect(error.description.contains(key) && error.description.contains("chmod 600 \(key)"), "\(error)")
  }

  @Test func fixQuotesAPathTheShellWouldSplit() throws {
    let spaced = directory + "/my token"
    writeFile(spaced, "00112233445566778899aabbccddeeff")
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: spaced)
    var configuration = ServerConfiguration(stateDirectory: try stateDirectory(mode: 0o700))
    configuration.tokenPath = spaced
    #expect(refusal(configuration)?.description.contains("chmod 600 '\(spaced)'") == true)
  }

  @Test func tokenLongerThanAHelloCarriesIsRefused() throws {
    let longest = try file("token-256", String(repeating: "a", count: 256) + "\n", mode: 0o600)
    #expect(try AccessToken.load(path: longest).matches(Array(String(repeating: "a", count: 256).utf8)))
    let tooLong = try file("token-257", String(repeating: "a", count: 257) + "\n", mode: 0o600)
    #expect(
      throws: ServerError.tokenFile(
        path: tooLong,
        reason: "the token is 257 bytes, longer than the 256 a hello carries, so no client could present it "
          + "(use e.g. `openssl rand -hex 16`)")
    ) { try AccessToken.load(path: tooLong) }
  }

  /// The real executable: exit status 1 with the reason on stderr, and --allow-insecure-permissions lets it start.
  @Test func kdserverExitsWithTheRefusalAndStartsWhenAllowed() throws {
    let token = try file("token", mode: 0o644)
    let refused = try KDServerProcess([
      "--listen", "127.0.0.1:0", "--state-dir", try stateDirectory(mode: 0o700), "--token-file", token,
    ])
    #expect(refused.waitExit() == 1)
    #expect(refused.stderr.contains("refusing token file (--token-file) \(token): mode 0644"), "\(refused.stderr)")
    #expect(refused.stderr.contains("chmod 600 \(token)"), "\(refused.stderr)")
    let (allowed, port, _) = try KDServerProcess.start(["--token-file", token, "--allow-insecure-permissions"])
    #expect(port != 0)
    allowed.process.terminate()
    #expect(allowed.waitExit() == 0)
  }
}
