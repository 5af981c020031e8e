import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Scenario 12: secrets on disk. kdserver must refuse at start (non-zero exit below 128, the message naming the
/// file, its mode and the `chmod` fix) a --key readable by others, a --token-file readable by others and a
/// --state-dir writable by others; start with all three when given --allow-insecure-permissions; refuse a
/// 257-byte token (a hello carries at most 256); and start with the same files at 0600 / 0700 (the control).
func scenario12(kdserver: String) {
  say(
    "scenario 12: file-mode refusals (--key, --token-file, --state-dir), --allow-insecure-permissions, 257-byte token")
  let dir = temporaryDirectory("modes")
  let key = dir + "/server-key.pem"
  let cert = dir + "/server.pem"
  let made = runBounded(
    "/usr/bin/openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
      "-subj", "/CN=localhost", "-days", "2",
    ], bound: 30)
  guard made.status == 0 else {
    tally.check(false, "scenario 12: openssl could not make a key and certificate: \(made.stderr)")
    return
  }
  let token = dir + "/token"
  writeFile(token, freshToken() + "\n", mode: 0o600)
  let longToken = dir + "/token-257"
  writeFile(longToken, String(repeating: "a", count: 257), mode: 0o600)
  let goodState = dir + "/state-700"
  let openState = dir + "/state-777"
  for d in [goodState, openState] {
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
  }
  chmod(goodState, 0o700)
  chmod(openState, 0o777)

  func start(_ extra: [String], state: String = goodState) -> StartOutcome {
    probeStart(kdserver, ["--listen", "127.0.0.1:0", "--state-dir", state, "--pace", "0"] + extra)
  }
  var figures: [String] = []
  /// A refusal that names the path, the mode and the fix.
  func refused(_ what: String, _ outcome: StartOutcome, path: String, mode: String, fix: String) {
    // The fix as kdserver writes it: the path shell-quoted only when it needs it.
    let named =
      outcome.stderr.contains(path) && outcome.stderr.contains("mode \(mode)")
      && (outcome.stderr.contains(fix + " " + path) || outcome.stderr.contains(fix + " " + shellQuote(path)))
    tally.check(outcome.refusedCleanly, "scenario 12: \(what): not refused cleanly: \(outcome.summary)")
    tally.check(
      named, "scenario 12: \(what): the message does not name \(path), mode \(mode) and `\(fix)`: \(outcome.stderr)")
    figures.append("\(what) -> exit \(outcome.exitStatus.map(String.init) ?? "none")\(named ? ", named" : "")")
  }

  // Control: everything private starts.
  chmod(key, 0o600)
  let control = start(["--cert", cert, "--key", key, "--token-file", token])
  tally.check(
    control.listening != nil, "scenario 12: 0600 key and token, 0700 state: did not start: \(control.summary)")

  chmod(key, 0o644)
  refused(
    "key 0644", start(["--cert", cert, "--key", key]), path: key, mode: "0644", fix: "chmod 600")
  chmod(key, 0o600)
  chmod(token, 0o644)
  refused(
    "token 0644", start(["--token-file", token]), path: token, mode: "0644", fix: "chmod 600")
  chmod(token, 0o600)
  refused(
    "state dir 0777", start([], state: openState), path: openState, mode: "0777",
    fix: "chmod 700")

  // All three insecure at once, allowed.
  chmod(key, 0o644)
  chmod(token, 0o644)
  let allowed = start(["--cert", cert, "--key", key, "--token-file", token, "--allow-insecure-permissions"])
  tally.check(allowed.listening != nil, "scenario 12: --allow-insecure-permissions did not start: \(allowed.summary)")
  let allowedState = start(["--allow-insecure-permissions"], state: openState)
  tally.check(
    allowedState.listening != nil,
    "scenario 12: --allow-insecure-permissions with a 0777 state dir did not start: \(allowedState.summary)")
  figures.append(
    "--allow-insecure-permissions -> \(allowed.listening != nil && allowedState.listening != nil ? "started" : "FAILED")"
  )

  let long = start(["--token-file", longToken])
  tally.check(long.refusedCleanly, "scenario 12: a 257-byte token file: not refused cleanly: \(long.summary)")
  tally.check(
    long.stderr.contains(longToken) && long.stderr.contains("257 bytes") && long.stderr.contains("256"),
    "scenario 12: the 257-byte refusal does not say why: \(long.stderr)")
  figures.append("257-byte token -> exit \(long.exitStatus.map(String.init) ?? "none")")
  let sample = (long.stderr.split(separator: "\n").last ?? "").prefix(140)
  say(
    "scenario 12: control started: \(control.listening != nil); " + figures.joined(separator: "; ") + "; e.g. \(sample)"
  )
}
