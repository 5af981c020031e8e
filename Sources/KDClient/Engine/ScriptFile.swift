import Foundation

/// A script file as the script tokens and `--script` run it: its lines (aliases such as `${$arg1}` already
/// expanded), grouped into the units that run one after another, and the way back from a position in its
/// text to a line number for error messages.
struct ScriptFile {
  /// The name errors give (as typed; `-` for standard input).
  let path: String
  let lines: [String]
  /// The lines joined with `;` (what `$><` runs); offsets in statements point into this text.
  let text: String
  private let lineStarts: [Int]

  /// One unit to run: a line, or the lines of a statement that spans several (see `units`).
  struct Unit {
    var source: SourceText
    var lines: [String]
  }

  init(path: String, text: String, aliases: AliasExpansion) {
    self.path = path
    var lines: [String] = []
    text.enumerateLines { line, _ in lines.append(aliases.expand(line)) }
    self.lines = lines
    self.text = lines.joined(separator: ";")
    var starts: [Int] = []
    var offset = 0
    for line in lines {
      starts.append(offset)
      offset += line.count + 1
    }
    lineStarts = starts
  }

  /// Why a script could not be read: the system's reason (`No such file or directory`), or not UTF-8 text.
  struct ReadFailure: Error {
    var path: String
    var reason: String
    var notText = false

    /// As the script tokens say it (and KD's message for a file it cannot open).
    var commandError: CommandError {
      .message(
        notText ? "Unable to read script file '\(path)': not UTF-8 text" : "Unable to open script file '\(path)'")
    }
  }

  /// Reads a script: a file (pipes such as `/dev/stdin` too), or standard input for `-`.
  static func read(_ path: String) throws(ReadFailure) -> String {
    let data: Data
    if path == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      let fd = open(path, O_RDONLY)
      guard fd >= 0 else { throw ReadFailure(path: path, reason: String(cString: strerror(errno))) }
      let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
      var info = stat()
      if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
        throw ReadFailure(path: path, reason: String(cString: strerror(EISDIR)))
      }
      // Read to the end rather than by the file's size, so pipes work too.
      let read: Data?
      do { read = try handle.readToEnd() } catch {
        throw ReadFailure(path: path, reason: error.localizedDescription)
      }
      data = read ?? Data()
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ReadFailure(path: path, reason: "not a UTF-8 text file", notText: true)
    }
    return text
  }

  /// The units `$<`/`$$<` (and `--script`) run in turn: each non-blank line, except that a statement that
  /// does not end on its line goes on over the next ones: a brace left open, a control flow token whose
  /// condition or block is still to come (`.for (…)` with `{` on the next line), or a next line that starts
  /// with `.else`/`.elsif`. (KD's `$<` runs strictly line by line; its `$><` runs such programs whole.)
  var units: [Unit] {
    var out: [Unit] = []
    var i = 0
    while i < lines.count {
      let first = i
      var depth = Self.braceBalance(lines[i])
      while i + 1 < lines.count,
        depth > 0 || Self.incomplete(lines[first...i].joined(separator: ";"))
          || lines[i + 1].trimmingSpaces.lowercased().hasPrefix(".else")
      {
        i += 1
        depth += Self.braceBalance(lines[i])
      }
      let text = lines[first...i].joined(separator: ";")
      if !text.trimmingSpaces.isEmpty {
        out.append(
          Unit(
            source: SourceText(text: text, offset: lineStarts[first]),
            lines: lines[first...i].filter { !$0.trimmingSpaces.isEmpty }))
      }
      i += 1
    }
    return out
  }

  /// Whether `text` stops in the middle of a statement (its scan fails at the very end).
  static func incomplete(_ text: String) -> Bool {
    var scanner = StatementScanner(text)
    do {
      while try scanner.next() != nil {}
      return false
    } catch {
      return error.position >= text.count
    }
  }

  /// The 1-based line holding `offset` of `text`.
  func line(at offset: Int) -> Int {
    var line = 1
    for (i, start) in lineStarts.enumerated() where start <= offset { line = i + 1 }
    return line
  }

  /// How deep the file's braces nest at most.
  var maxBraceDepth: Int {
    var depth = 0
    var deepest = 0
    for line in lines {
      depth += Self.braceBalance(line, deepest: &deepest, from: depth)
    }
    return deepest
  }

  /// Open braces minus closing ones, outside quotes and `${…}`.
  static func braceBalance(_ line: String) -> Int {
    var deepest = 0
    return braceBalance(line, deepest: &deepest, from: 0)
  }

  /// `braceBalance`, noting in `deepest` the deepest nesting reached when the line starts at depth `from`.
  static func braceBalance(_ line: String, deepest: inout Int, from start: Int) -> Int {
    var depth = 0
    var quote: Character?
    var inAlias = false
    var previous: Character = " "
    for c in line {
      if let q = quote {
        if c == q { quote = nil }
      } else if inAlias {
        if c == "}" { inAlias = false }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == "{" {
        if previous == "$" {
          inAlias = true
        } else {
          depth += 1
          deepest = max(deepest, start + depth)
        }
      } else if c == "}" {
        depth -= 1
      }
      previous = c
    }
    return depth
  }
}
