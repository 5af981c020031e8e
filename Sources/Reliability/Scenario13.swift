import Foundation

/// Scenario 13: the installed binaries. `Deploy/install.sh --bin-dir <the release binaries beside the suite>
/// --prefix <temporary>`, then, each in a private mount namespace with an empty tmpfs over the `.build` directory
/// (as scripts/test-install.sh does): the installed `kd -c 'lm'` on its embedded target, and the installed kdserver
/// with the installed kd attached to it over TLS (`-b -c 'lm'`). Skipped, with the reason, where unshare cannot be
/// used.
func scenario13(binDir: String) {
  say("scenario 13: Deploy/install.sh into a temporary prefix; installed kd and kdserver with .build hidden")
  // The clone (the directory with Deploy/install.sh) and its .build, from the suite's own directory.
  var repo = URL(fileURLWithPath: binDir)
  var build: String?
  while repo.path != "/" && !FileManager.default.fileExists(atPath: repo.path + "/Deploy/install.sh") {
    if repo.lastPathComponent == ".build" { build = repo.path }
    repo.deleteLastPathComponent()
  }
  guard let build, FileManager.default.fileExists(atPath: repo.path + "/Deploy/install.sh") else {
    tally.check(false, "scenario 13: no Deploy/install.sh and .build above \(binDir)")
    return
  }
  let prefix = temporaryDirectory("install") + "/prefix"
  let started = ContinuousClock.now
  let install = runBounded(
    "/bin/sh", [repo.path + "/Deploy/install.sh", "--bin-dir", binDir, "--prefix", prefix], bound: 120)
  let files = install.stdout.split(separator: "\n").count
  tally.check(install.status == 0, "scenario 13: install.sh exited \(install.status): \(install.stderr)")
  for file in ["bin/kdserver", "bin/kd", "share/swift-kd/Scenarios/default/scenario.json"] {
    tally.check(FileManager.default.fileExists(atPath: prefix + "/" + file), "scenario 13: install.sh left no \(file)")
  }
  guard install.status == 0 else { return }
  if let why = unshareUnavailable() {
    say("scenario 13: installed \(files) files; the runs with .build hidden SKIPPED: \(why)")
    return
  }
  /// `sh -c` text: hide .build, prove it is hidden, then exec the command.
  func hidden(_ command: [String]) -> [String] {
    let hide =
      "mount -t tmpfs -o size=1m,mode=0755 swift-kd-hidden-build \(shellQuote(build)) && "
      + "test ! -e \(shellQuote(binDir + "/kdserver")) && exec "
    return ["-m", "--propagation", "private", "sh", "-c", hide + command.map(shellQuote).joined(separator: " ")]
  }

  let embedded = runBounded("/usr/bin/unshare", hidden([prefix + "/bin/kd", "--timeout", "60", "-c", "lm"]), bound: 90)
  let abc = embedded.stdout.split(separator: "\n").first { $0.contains("   Abc") }.map(String.init) ?? ""
  tally.check(
    embedded.status == 0 && !abc.isEmpty,
    "scenario 13: installed kd -c 'lm' (embedded, .build hidden): status \(embedded.status), stdout "
      + "\(embedded.stdout.suffix(300)), stderr \(embedded.stderr.suffix(300))")

  var attached = ChildResult(status: -1, stdout: "", stderr: "kdserver did not listen", timedOut: false)
  let state = temporaryDirectory("install-state")
  let server = probeStart(
    "/usr/bin/unshare",
    hidden([prefix + "/bin/kdserver", "--listen", "127.0.0.1:0", "--state-dir", state, "--pace", "0"]), bound: 60
  ) { _, line in
    guard let (port, fingerprint) = parseStartLine(line) else { return }
    attached = runBounded(
      "/usr/bin/unshare",
      hidden([
        prefix + "/bin/kd", "--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "-b", "--timeout", "60",
        "-c", "lm",
      ]), bound: 90)
  }
  tally.check(
    server.listening != nil, "scenario 13: installed kdserver (.build hidden) did not start: \(server.summary)")
  let remoteAbc = attached.stdout.split(separator: "\n").first { $0.contains("   Abc") }.map(String.init) ?? ""
  tally.check(
    attached.status == 0 && !remoteAbc.isEmpty,
    "scenario 13: installed kd attached to the installed kdserver: status \(attached.status), stdout "
      + "\(attached.stdout.suffix(300)), stderr \(attached.stderr.suffix(300))")
  tally.check(server.statusAfterTerm == 0, "scenario 13: installed kdserver exit status on SIGTERM: \(server.summary)")
  say(
    "scenario 13: install.sh wrote \(files) files into \(prefix); .build (\(build)) hidden by a tmpfs in each run; "
      + "embedded kd -c 'lm' exit \(embedded.status) (`\(abc.trimmingCharacters(in: .whitespaces))`); installed "
      + "kdserver \(server.listening != nil ? "listened" : "did NOT listen"), installed kd attached -b -c 'lm' exit "
      + "\(attached.status), kdserver exit \(server.statusAfterTerm ?? -1) on SIGTERM; "
      + "\(String(format: "%.1f", seconds(since: started))) s")
}

/// Port and pinned fingerprint from a kdserver `listening on 127.0.0.1:PORT ... fingerprint=...` line (the value
/// may be quoted).
func parseStartLine(_ line: String) -> (UInt16, String)? {
  let words = line.split(separator: " ")
  guard let address = words.first(where: { $0.hasPrefix("127.0.0.1:") }),
    let port = UInt16(address.dropFirst("127.0.0.1:".count)),
    let fp = words.first(where: { $0.hasPrefix("fingerprint=") })
  else { return nil }
  return (port, fp.dropFirst("fingerprint=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
}
