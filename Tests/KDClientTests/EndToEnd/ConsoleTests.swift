import Foundation
import KDTestSupport
import Testing

/// The real `kd` in a pseudo-terminal (a private tmux server): its screen is polled, keys are sent as typed.
final class TmuxTerminal {
  static let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
  let socket = "kd-console-test-\(UUID().uuidString)"

  init(_ command: [String], width: Int = 160, height: Int = 50) throws {
    let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    // The shell stays after kd so that its exit status can be read off the screen.
    // The shell ignores Ctrl+C (kd installs its own handler), so that it lives on to print kd's exit status.
    let shell =
      "trap '' INT; HOME=\(makeTemporaryDirectory("kd-console-home")) \(quoted); echo \"kd exited $?\"; sleep 20"
    let start = tmux([
      "new-session", "-d", "-s", "kd", "-x", "\(width)", "-y", "\(height)", "/bin/sh", "-c", shell,
    ])
    guard start.status == 0 else { throw TestFailure("tmux new-session failed") }
  }

  /// kd may not act on the SIGHUP that kill-server sends (its threads block it): it is asked to quit first, and
  /// its process ends with the session.
  deinit {
    tmux(["send-keys", "-t", "kd", "C-c"])
    tmux(["send-keys", "-t", "kd", "-l", "q"])
    tmux(["send-keys", "-t", "kd", "Enter"])
    _ = wait(seconds: 10) { $0.contains("kd exited") }
    tmux(["kill-server"])
  }

  /// Runs a tmux client (posix_spawn and waitpid, output through a file). Not Foundation's Process: the tmux server
  /// a client forks inherits the descriptor Process watches for the child's exit, and that never comes.
  @discardableResult
  func tmux(_ arguments: [String]) -> (status: Int32, stdout: String) {
    let path = NSTemporaryDirectory() + "kd-tmux-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: path) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // Nothing else is inherited (a tmux server outlives the test: it must not hold the build lock or pipes).
    for fd in Int32(3)..<256 where fcntl(fd, F_GETFD) != -1 { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv = [Self.tmux!, "-L", socket] + arguments
    var cArgs = argv.map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, Self.tmux!, &actions, nil, &cArgs, environ) == 0 else { return (-1, "") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return ((status >> 8) & 0xff, text)
  }

  /// The visible screen: each line without trailing spaces, trailing blank lines dropped, ending in a newline.
  var screen: String { Self.normalized(tmux(["capture-pane", "-p", "-t", "kd"]).stdout) }

  /// The screen and scroll-back, the same way.
  var history: String { Self.normalized(tmux(["capture-pane", "-p", "-S", "-", "-t", "kd"]).stdout) }

  static func normalized(_ text: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      String($0.reversed().drop { $0 == " " }.reversed())
    }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.map { $0 + "\n" }.joined()
  }

  func send(_ keys: String...) { tmux(["send-keys", "-t", "kd"] + keys) }

  func type(_ text: String) { tmux(["send-keys", "-t", "kd", "-l", text]) }

  /// Polls the screen (with scroll-back when `history`) until `condition` holds; the time it took, or nil after
  /// `seconds`.
  @discardableResult
  func wait(seconds: Double = 60, history: Bool = false, _ condition: (String) -> Bool) -> Duration? {
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + .milliseconds(Int(seconds * 1000))
    while clock.now < deadline {
      if condition(history ? self.history : screen) { return clock.now - start }
      usleep(10_000)
    }
    return nil
  }

}

@Suite(.serialized) struct ConsoleTests {
  let kd = builtExecutable("kd")

  func start() throws -> TmuxTerminal? {
    guard TmuxTerminal.tmux != nil else { return nil }
    let term = try TmuxTerminal([kd, "--pace", "0"])
    try #require(term.wait { $0.hasSuffix("\nkd>\n") } != nil, "\(term.screen)")
    return term
  }

  /// Ctrl+C at the prompt drops the line and shows a fresh prompt; the session goes on; `q` quits with 0.
  @Test func ctrlCAtThePromptDiscardsTheLine() throws {
    guard let term = try start() else { return }
    term.type("? 1234")
    try #require(term.wait { $0.contains("kd> ? 1234") } != nil)
    term.send("C-c")
    try #require(term.wait { $0.contains("kd> ? 1234^C") && $0.hasSuffix("kd>\n") } != nil, "\(term.screen)")
    term.type("? 1")
    term.send("Enter")
    try #require(term.wait { $0.contains("Evaluate expression: 1 = 00000001") } != nil, "\(term.screen)")
    #expect(!term.screen.contains("4660"))
    term.type("q")
    term.send("Enter")
    #expect(term.wait { $0.contains("kd exited 0") } != nil, "\(term.screen)")
  }

  @Test func ctrlDOnAnEmptyLineQuits() throws {
    guard let term = try start() else { return }
    term.send("C-d")
    #expect(term.wait { $0.contains("kd exited 0") } != nil, "\(term.screen)")
  }

  /// A 16 MiB `db` streams (its first line shows at once) and Ctrl+C cancels it promptly, leaving the session usable.
  @Test func ctrlCCancelsALongDisplay() throws {
    guard let term = try start() else { return }
    term.type("db 0 L?1000000")
    term.send("Enter")
    // Lines scroll past fast: any line of the display showing counts.
    let first = term.wait(seconds: 10) { $0.contains("0  ?? ?? ?? ?? ?? ?? ?? ??-?? ??") }
    try #require(first != nil, "no first line: \(term.screen)")
    // Still running: the last of its million lines is far off.
    #expect(!term.history.contains("00fffff0  ??"))
    term.send("C-c")
    let cancelled = term.wait(seconds: 10) { $0.hasSuffix("^C\nkd>\n") }
    try #require(cancelled != nil, "not cancelled: \(term.screen)")
    #expect(cancelled! < .seconds(1), "cancel took \(cancelled!)")
    term.type("? 1")
    term.send("Enter")
    #expect(term.wait { $0.contains("Evaluate expression: 1 = 00000001") } != nil, "\(term.screen)")
  }

  @Test func clsClearsTheScreen() throws {
    guard let term = try start() else { return }
    term.type(".cls")
    term.send("Enter")
    #expect(term.wait { $0 == "kd>\n" } != nil, "\(term.screen)")
  }
}

/// With stdin not a terminal, prompts and commands show as cdb prints them; ENTER repeats as KD does.
@Suite struct PipedConsoleTests {
  @Test func pipedInputReadsLikeATranscript() {
    let input = "? 1\ndb nt!PoolHitTag L10\n\nq\n"
    let result = run(builtExecutable("kd"), ["--pace", "0"], input: Data(input.utf8))
    #expect(result.status == 0, "\(result)")
    let out = result.stdout
    #expect(out.contains("kd> ? 1\nEvaluate expression: 1 = 00000001\nkd> db nt!PoolHitTag L10\n"), "\(out)")
    // The empty line repeats `db` (KD's default length, 8 lines), continuing after the 16 bytes shown.
    guard let at = out.range(of: "kd> db nt!PoolHitTag L10\n") else { return }
    let rest = out[at.upperBound...].split(separator: "\n").map(String.init)
    #expect(rest.count == 12, "\(rest)")
    guard rest.count == 12 else { return }
    let first = UInt32(rest[0].prefix(8), radix: 16)
    #expect(rest[1] == "kd> ")
    #expect(UInt32(rest[2].prefix(8), radix: 16) == first.map { $0 + 0x10 }, "\(rest)")
    #expect(rest[10] == "kd> q")
  }

  /// A long display streams: its first line arrives long before a 16 MiB display could be built whole.
  @Test func aLongDisplayStreams() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: builtExecutable("kd"))
    process.arguments = ["--pace", "0"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    // SIGKILL: kd may be blocked writing the display into the pipe no one reads any more.
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    let reader = output.fileHandleForReading
    func readUntil(_ text: String, seconds: Double) -> Bool { readUntil(seconds: seconds) { $0.contains(text) } }
    func readUntil(seconds: Double, _ done: (String) -> Bool) -> Bool {
      var seen = Data()
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        var fds = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, 100) > 0 else { continue }
        let chunk = reader.availableData
        if chunk.isEmpty { return false }
        seen.append(chunk)
        if done(String(decoding: seen.suffix(1 << 16), as: UTF8.self)) { return true }
        if seen.count > 1 << 16 { seen = seen.suffix(1 << 15) }
      }
      return false
    }
    // The attach's break-in notification ends with the instruction it stopped at (anywhere at pace 0): an
    // `address bytes mnemonic` line after the exception line.
    let stopped = try Regex(#"Break instruction exception[^\n]*\n(.*\n)*[0-9a-f]{8} [0-9a-f]+ +[a-z]"#)
    try #require(readUntil(seconds: 60) { $0.contains(stopped) })
    let clock = ContinuousClock()
    let sent = clock.now
    input.fileHandleForWriting.write(Data("db 0 L?1000000\n".utf8))
    #expect(readUntil("00000000  ?? ?? ?? ??", seconds: 10))
    let firstLine = clock.now - sent
    #expect(firstLine < .seconds(1), "first line after \(firstLine)")
  }
}
