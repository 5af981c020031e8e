/// `dds`/`dps` (each DWORD with the symbol it points into) and `dpa`/`dpu`/`dda`/`ddu` (each DWORD with the
/// ASCII/UTF-16 string it points to): one pointer a line, 128 bytes (32 pointers) by default. A pointer is a
/// DWORD on this x86 target, so the `dp*` and `dd*` forms print the same.
enum DisplayPointers: Command {
  static let names = ["dds", "dps", "dpa", "dpu", "dda", "ddu"]
  static let summary = "dds|dps|dpa|dpu [Range]   pointers with their symbols / the strings they point to"
  static let repeatsOnEnter = true
  /// Most pointers one display prints (the `d*` limit of 16 MiB, in DWORDs).
  static let maxPointers = DisplayMemory.maxBytes / 4
  /// Most characters of a string shown after a `dpa`/`dpu` pointer.
  static let maxStringChars = 256

  struct Output: CommandOutput {
    struct Row: Codable, Sendable {
      @HexString var address: UInt32
      /// nil = unreadable.
      @HexString var value: UInt32?
      /// `dds`/`dps`: the symbol the value falls in; `dpa`/`dpu`: the string it points to (nil: none readable).
      var symbol: String?
      var string: String?
    }
    var format: String
    var rows: [Row]

    var lines: [String] {
      rows.map { r in
        var line = Hex.d8(r.address) + "  " + (r.value.map(Hex.d8) ?? "????????")
        if let s = r.symbol { line += " " + s }
        if let s = r.string { line += " \"\(s)\"" }
        return line
      }
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let format = inv.name.lowercased()
    var p = inv.parser(session)
    let defaultStart: UInt32?
    if let next = session.lastDisplay?.next {
      defaultStart = next
    } else {
      defaultStart = try? session.currentContext().eip
    }
    let range = try RangeArgument.parse(&p, unitSize: 4, defaultCount: 32, defaultStart: defaultStart)
    try p.expectEnd()
    guard range.count <= maxPointers else {
      throw .message("Range of \(range.count * 4) bytes is too large to display (at most \(DisplayMemory.maxBytes))")
    }
    let rows = try self.rows(format: format, start: range.start, count: range.count, session: session)
    session.lastDisplay = (format, range.start &+ UInt32(truncatingIfNeeded: range.count &* 4))
    return Output(format: format, rows: rows)
  }

  /// `count` DWORDs from `start`, each with its symbol (`s` forms) or string (`a`/`u` forms).
  static func rows(format: String, start: UInt32, count: Int, session: Session) throws(CommandError) -> [Output.Row] {
    let values = DisplayMemory.units(try session.readBytes(start, count: count * 4), size: 4)
    var rows: [Output.Row] = []
    rows.reserveCapacity(values.count)
    for (i, v) in values.enumerated() {
      let address = start &+ UInt32(truncatingIfNeeded: i &* 4)
      let value = v.map { UInt32(truncatingIfNeeded: $0) }
      var row = Output.Row(address: address, value: value)
      if let value {
        switch format.last {
        case "s": row.symbol = try session.describe(value)
        case "a": row.string = try string(at: value, unit: 1, session: session)
        case "u": row.string = try string(at: value, unit: 2, session: session)
        default: break
        }
      }
      rows.append(row)
    }
    return rows
  }

  /// The characters at `address` up to the first NUL (at most `maxStringChars`), as `da`/`du` show them; nil when
  /// the first one is unreadable.
  private static func string(at address: UInt32, unit: Int, session: Session) throws(CommandError) -> String? {
    // Read up to the page end first: most strings end there, and a pointer into an unmapped page costs one read.
    let toPageEnd = Int(0x1000 - (address & 0xfff))
    let want = maxStringChars * unit
    var bytes = try session.readBytes(address, count: min(want, toPageEnd))
    if bytes.count < want, !bytes.contains(where: { $0 == nil }) {
      bytes += try session.readBytes(address &+ UInt32(bytes.count), count: want - bytes.count)
    }
    var chars: [Character] = []
    var i = 0
    while i + unit <= bytes.count {
      var code: UInt32 = 0
      for k in 0..<unit {
        guard let b = bytes[i + k] else { return chars.isEmpty ? nil : String(chars) }
        code |= UInt32(b) << (8 * UInt32(k))
      }
      if code == 0 { break }
      chars.append(code >= 0x20 && code < 0x7f ? Character(Unicode.Scalar(UInt8(code))) : ".")
      i += unit
    }
    return String(chars)
  }
}
