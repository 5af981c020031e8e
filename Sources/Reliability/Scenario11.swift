import Foundation

/// Scenario 11: authentication is decided on what is bound, not on the `--listen` string. In a private mount
/// namespace (`unshare -m`) a temporary /etc/hosts is bind-mounted so that `127.0.0.1.example.net` (a name that
/// starts like loopback: the issue's case) resolves to 0.0.0.0. `kdserver --listen 127.0.0.1.example.net:0` without
/// authentication must be refused at start (non-zero exit below 128, naming 0.0.0.0 and the fix); with
/// --token-file it must start and say `bound=network auth=token`. Skipped (with the reason) where no such
/// namespace can be made.
func scenario11(kdserver: String) {
  let name = "127.0.0.1.example.net"
  say("scenario 11: kdserver --listen \(name):0, \(name) resolving to 0.0.0.0 in a private mount namespace")
  if let why = unshareUnavailable() {
    say("scenario 11: SKIPPED: \(why)")
    return
  }
  let dir = temporaryDirectory("bound")
  let hosts = dir + "/hosts"
  writeFile(hosts, "127.0.0.1 localhost\n0.0.0.0 \(name)\n", mode: 0o644)
  let bind = "mount --bind \(shellQuote(hosts)) /etc/hosts"
  // The namespace really resolves the name to 0.0.0.0 (else the rest proves nothing).
  let resolved = runBounded(
    "/usr/bin/unshare", ["-m", "--propagation", "private", "sh", "-c", "\(bind) && getent hosts \(name)"], bound: 20)
  guard resolved.status == 0, resolved.stdout.hasPrefix("0.0.0.0") else {
    say("scenario 11: SKIPPED: cannot make \(name) resolve to 0.0.0.0 here: \(resolved.stdout) \(resolved.stderr)")
    return
  }
  let token = dir + "/token"
  writeFile(token, freshToken() + "\n", mode: 0o600)
  let state = temporaryDirectory("bound-state")
  func inNamespace(_ extra: [String]) -> StartOutcome {
    let command =
      ([kdserver, "--listen", "\(name):0", "--state-dir", state, "--pace", "0"] + extra).map(shellQuote).joined(
        separator: " ")
    return probeStart("/usr/bin/unshare", ["-m", "--propagation", "private", "sh", "-c", "\(bind) && exec \(command)"])
  }

  let open = inNamespace([])
  tally.check(open.refusedCleanly, "scenario 11: no authentication on \(name): not refused cleanly: \(open.summary)")
  tally.check(
    open.stderr.contains("refusing to listen on 0.0.0.0") && open.stderr.contains("without client authentication")
      && open.stderr.contains("--token-file"),
    "scenario 11: the refusal does not name 0.0.0.0 and the fix: \(open.stderr)")

  let withToken = inNamespace(["--token-file", token])
  let line = withToken.listening ?? ""
  tally.check(withToken.listening != nil, "scenario 11: with --token-file it did not start: \(withToken.summary)")
  tally.check(
    line.contains("listening on 0.0.0.0:") && line.contains("bound=network") && line.contains("auth=token"),
    "scenario 11: the start line does not say bound=network auth=token: \(line)")
  tally.check(
    withToken.statusAfterTerm == 0, "scenario 11: exit status after SIGTERM \(withToken.statusAfterTerm ?? -1)")

  let refusal = open.stderr.split(separator: "\n").last { $0.contains("refusing") } ?? ""
  say(
    "scenario 11: \(name) -> 0.0.0.0 (getent in the namespace); without auth: exit \(open.exitStatus ?? -1) "
      + "(\(refusal.prefix(110))...); with --token-file: \(line.contains("bound=network") ? "bound=network" : "?") "
      + "\(line.contains("auth=token") ? "auth=token" : "?"), exit \(withToken.statusAfterTerm ?? -1) on SIGTERM")
}
