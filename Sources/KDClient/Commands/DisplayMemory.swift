/// `db dw dd dq dc dp da du` (and bare `d`): memory in KD's layouts, `??` for unreadable memory,
/// partial last lines padded so the ASCII column stays put. `dp` is pointer-sized: `dd` on this 32-bit target.
enum DisplayMemory: Command {
  static let names = ["d", "db", "dw", "dd", "dq", "dc", "dp", "da", "du"]
  static let summary = "d[b|w|d|q|c|p|a|u] [Range]   display memory (dp: pointers, dd on x86)"
  static let repeatsOnEnter = true
  /// Largest range one display prints (16 MiB: a million lines).
  static let maxBytes = 16 << 20

  struct Output: CommandOutput {
    var format: String
    @HexString var address: UInt32
    var unitSize: Int
    /// One value per unit; nil = unreadable.
    @HexString var values: [UInt64?]
    /// For `da`/`du`: the strings read, one per line segment.
    var strings: [StringRun]?

    struct StringRun: Codable, Sendable {
      @HexString var address: UInt32
      var text: String?
    }

    var lines: [String] {
      if let strings {
        return strings.map { Hex.d8($0.address) + "  " + ($0.text.map { "\"\($0)\"" } ?? "????????") }
      }
      let perLine = 16 / unitSize
      var out: [String] = []
      var i = 0
      while i < values.count {
        let chunk = Array(values[i..<min(i + perLine, values.count)])
        out.append(Hex.d8(address &+ UInt32(i * unitSize)) + "  " + row(chunk, perLine: perLine))
        i += perLine
      }
      return out
    }

    private func row(_ chunk: [UInt64?], perLine: Int) -> String {
      let width = unitSize * 2
      var hex = ""
      for (k, v) in chunk.enumerated() {
        if k > 0 { hex += (unitSize == 1 && k == 8) ? "-" : " " }
        if let v {
          hex += unitSize == 8 ? Hex.q(v) : Hex.digits(v, width: width)
        } else {
          hex += unitSize == 8 ? "????????`????????" : String(repeating: "?", count: width)
        }
      }
      guard format == "db" || format == "dc" else { return hex }
      let fullWidth = perLine * (width + 1) - 1
      var ascii = ""
      for v in chunk {
        for b in 0..<unitSize {
          ascii.append(v.map { Ascii.char(UInt8(truncatingIfNeeded: $0 >> (8 * UInt64(b)))) } ?? "?")
        }
      }
      return hex.rightPadded(to: fullWidth) + "  " + ascii
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var format = inv.name.lowercased()
    if format == "d" { format = session.lastDisplay?.command ?? "db" }
    // A pointer is a DWORD on this x86 target: `dp` prints `dd`'s layout (KD's table: "as dd/dq").
    if format == "dp" { format = "dd" }
    guard DisplayMemory.names.contains(format) else {
      // A bare `d` after `dps`/`dpa`...: those have their own command.
      return try DisplayPointers.run(
        Invocation(line: inv.line, name: format, argumentsStart: inv.argumentsStart), in: session)
    }
    let unit: Int =
      switch format {
      case "db", "da": 1
      case "dw", "du": 2
      case "dq": 8
      default: 4
      }
    var p = inv.parser(session)
    let defaultCount: Int =
      switch format {
      case "db": 128
      case "dw": 64
      case "dq": 16
      case "da", "du": 256
      default: 32
      }
    let defaultStart: UInt32?
    if let next = session.lastDisplay?.next {
      defaultStart = next
    } else {
      defaultStart = try? session.currentContext().eip
    }
    let range = try RangeArgument.parse(&p, unitSize: unit, defaultCount: defaultCount, defaultStart: defaultStart)
    try p.expectEnd()
    guard range.count * unit <= maxBytes else {
      throw .message("Range of \(range.count * unit) bytes is too large to display (at most \(maxBytes))")
    }
    if format == "da" || format == "du" {
      return try strings(format: format, range: range, unit: unit, session: session)
    }
    let total = range.count * unit
    if let stream = session.stream, total > streamChunk {
      // Long displays go out as they are read, a chunk of whole lines at a time; Ctrl+C stops between chunks.
      var offset = 0
      while offset < total {
        try session.checkCancelled()
        let count = min(streamChunk, total - offset)
        let at = range.start &+ UInt32(truncatingIfNeeded: offset)
        let values = units(try session.readBytes(at, count: count), size: unit)
        let chunk = Output(format: format, address: at, unitSize: unit, values: values, strings: nil)
        stream(chunk.lines.map { $0 + "\n" }.joined())
        offset += count
        session.lastDisplay = (format, range.start &+ UInt32(truncatingIfNeeded: offset))
      }
      return Output(format: format, address: range.start, unitSize: unit, values: [], strings: nil)
    }
    let bytes = try session.readBytes(range.start, count: total)
    let values = units(bytes, size: unit)
    session.lastDisplay = (format, range.start &+ UInt32(total))
    return Output(format: format, address: range.start, unitSize: unit, values: values, strings: nil)
  }

  /// Bytes per streamed piece of a long display (256 lines of 16 bytes).
  static let streamChunk = 4096

  /// Little-endian units of `size` bytes; nil where any byte is unreadable.
  static func units(_ bytes: [UInt8?], size: Int) -> [UInt64?] {
    stride(from: 0, to: bytes.count - size + 1, by: size).map { i in
      var v: UInt64 = 0
      for k in 0..<size {
        guard let b = bytes[i + k] else { return nil }
        v |= UInt64(b) << (8 * UInt64(k))
      }
      return v
    }
  }

  /// `da`/`du`: characters up to the first NUL or the end of the range, 48 per line.
  private static func strings(format: String, range: RangeArgument, unit: Int, session: Session) throws(CommandError)
    -> Output
  {
    let bytes = try session.readBytes(range.start, count: range.count * unit)
    var runs: [Output.StringRun] = []
    var chars: [Character] = []
    var lineStart = range.start
    var i = 0
    var unreadable = false
    while i + unit <= bytes.count {
      let raw = bytes[i..<(i + unit)]
      if raw.contains(where: { $0 == nil }) {
        unreadable = chars.isEmpty
        break
      }
      let code = raw.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element!) << (8 * UInt32($1.offset)) }
      if code == 0 { break }
      chars.append(Character(Unicode.Scalar(code).map { $0.isASCII && code >= 0x20 && code < 0x7f ? $0 : "." } ?? "."))
      i += unit
      if chars.count == 48 {
        runs.append(.init(address: lineStart, text: String(chars)))
        chars = []
        lineStart = range.start &+ UInt32(i)
      }
    }
    if unreadable && runs.isEmpty {
      runs.append(.init(address: lineStart, text: nil))
    } else if !chars.isEmpty || runs.isEmpty {
      runs.append(.init(address: lineStart, text: String(chars)))
    }
    session.lastDisplay = (format, range.start &+ UInt32(max(i + unit, unit)))
    return Output(format: format, address: range.start, unitSize: unit, values: [], strings: runs)
  }
}
