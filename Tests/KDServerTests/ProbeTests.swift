import Foundation
import KDTestSupport
import Testing

/// `kdserver --probe`, the health check the systemd units and Kubernetes manifests use, against a real kdserver.
@Suite(.serialized) struct ProbeTests {
  func probe(_ arguments: [String]) -> (status: Int32, output: String) {
    let result = run(builtExecutable("kdserver"), ["--probe"] + arguments)
    return (result.status, result.stdout + result.stderr)
  }

  @Test func aliveWithTheServersOwnIdentityAndTokenAndNotOtherwise() throws {
    let state = makeTemporaryDirectory("probe")
    let token = state + "/token"
    writeFile(token, "00112233445566778899aabbccddeeff\n")
    chmod(token, 0o600)
    let wrong = state + "/wrong-token"
    writeFile(wrong, "ffeeddccbbaa99887766554433221100\n")
    chmod(wrong, 0o600)
    let child = try KDServerProcess(["--listen", "127.0.0.1:0", "--state-dir", state, "--token-file", token])
    defer { child.process.terminate() }
    let line = try #require(child.line(containing: "fingerprint="))
    let address = try #require(line.split(separator: " ").last.map(String.init))  // "listening on 127.0.0.1:PORT"

    let ok = probe([address, "--state-dir", state, "--token-file", token])
    #expect(ok.status == 0, "\(ok.output)")
    #expect(ok.output.hasPrefix("ok: kdserver 0.1 (swift-kd) at \(address), target running"), "\(ok.output)")
    #expect(child.line(containing: "client=kdserver-probe") != nil)

    let noToken = probe([address, "--state-dir", state])
    #expect(noToken.status == 1)
    #expect(noToken.output.contains("hello refused: STATUS_ACCESS_DENIED"), "\(noToken.output)")
    let wrongToken = probe([address, "--state-dir", state, "--token-file", wrong])
    #expect(wrongToken.status == 1 && wrongToken.output.contains("wrong token"), "\(wrongToken.output)")

    // Another server's identity is not the one this server uses: the pin fails.
    let other = makeTemporaryDirectory("probe-other")
    let otherChild = try KDServerProcess(["--listen", "127.0.0.1:0", "--state-dir", other])
    _ = otherChild.line(containing: "fingerprint=")
    otherChild.process.terminate()
    let pinned = probe([address, "--state-dir", other, "--token-file", token])
    #expect(pinned.status == 1 && pinned.output.contains("does not match the pinned"), "\(pinned.output)")
  }

  @Test func deadOrMissingServerFails() {
    let state = makeTemporaryDirectory("probe-none")
    let missing = probe(["127.0.0.1:9", "--state-dir", state])
    #expect(missing.status == 1)
    #expect(missing.output.contains("has kdserver started with this --state-dir?"), "\(missing.output)")
    let bad = probe(["nowhere", "--state-dir", state])
    #expect(bad.status != 0 && bad.output.contains("--probe must be HOST:PORT"), "\(bad.output)")
  }
}
