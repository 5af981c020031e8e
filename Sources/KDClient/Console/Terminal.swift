#if canImport(Glibc)
  import Glibc
#endif

/// The controlling terminal: whether stdout is one, raw key input for full-screen views, output.
enum Terminal {
  static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

  static func write(_ text: String) {
    var t = text
    t.withUTF8 { buf in
      var off = 0
      while off < buf.count {
        let n = Glibc.write(STDOUT_FILENO, buf.baseAddress! + off, buf.count - off)
        if n <= 0 { return }
        off += n
      }
    }
  }

  static func writeLines(_ lines: [String]) {
    write(lines.map { $0 + "\n" }.joined())
  }

  /// Runs `body` with stdin in non-canonical, no-echo mode; restores the previous mode after.
  static func withRawInput<T>(_ body: () -> T) -> T {
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return body() }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    tcsetattr(STDIN_FILENO, TCSANOW, &raw)
    defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    return body()
  }

  /// A key pressed within `timeout` milliseconds, or nil.
  static func readKey(timeout: Int32) -> Character? {
    var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
    guard poll(&fds, 1, timeout) > 0 else { return nil }
    var byte: UInt8 = 0
    guard read(STDIN_FILENO, &byte, 1) == 1 else { return nil }
    return Character(Unicode.Scalar(byte))
  }
}
