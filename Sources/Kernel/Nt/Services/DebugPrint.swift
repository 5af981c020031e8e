extension Machine {
  /// DbgPrint(Format, ...) (cdecl): formats from kernel memory (%d %i %u %x %X %p %c %s %ws %S %%, with
  /// flags, width and l/h/ll) and reports the text to the host; returns STATUS_SUCCESS. As Windows' DbgPrint
  /// formats under an exception handler, an unreadable format or `%s`/`%S` string prints nothing and returns
  /// STATUS_ACCESS_VIOLATION; a NULL string argument prints `(null)`.
  func debugPrint() {
    guard let format = readCString(arg(0), max: 512) else {
      setResult(Self.statusAccessViolation)
      return
    }
    var next = 1
    func nextArg() -> UInt32 {
      defer { next += 1 }
      return arg(next)
    }
    var out = ""
    var i = format.startIndex
    while i < format.endIndex {
      let c = format[i]
      i = format.index(after: i)
      guard c == "%", i < format.endIndex else {
        out.append(c)
        continue
      }
      var flags = ""
      var width = 0
      var long64 = false
      while i < format.endIndex, "-0+ #".contains(format[i]) {
        flags.append(format[i])
        i = format.index(after: i)
      }
      while i < format.endIndex, let d = format[i].wholeNumberValue {
        width = min(width * 10 + d, 256)
        i = format.index(after: i)
      }
      while i < format.endIndex, "lhIwz".contains(format[i]) {
        if format[i] == "l", format.index(after: i) < format.endIndex, format[format.index(after: i)] == "l" {
          long64 = true
        }
        i = format.index(after: i)
      }
      guard i < format.endIndex else { break }
      let conv = format[i]
      i = format.index(after: i)
      var text: String
      switch conv {
      case "d", "i":
        let v = nextArg()
        text = long64 ? String(Int64(bitPattern: UInt64(nextArg()) << 32 | UInt64(v))) : String(Int32(bitPattern: v))
      case "u":
        let v = nextArg()
        text = long64 ? String(UInt64(nextArg()) << 32 | UInt64(v)) : String(v)
      case "x", "X", "p":
        let v = nextArg()
        text = String(long64 ? UInt64(nextArg()) << 32 | UInt64(v) : UInt64(v), radix: 16, uppercase: conv == "X")
        if conv == "p" { text = String(repeating: "0", count: max(0, 8 - text.count)) + text }
      case "c": text = String(UnicodeScalar(UInt8(truncatingIfNeeded: nextArg())))
      case "s", "S":
        let pointer = nextArg()
        guard pointer != 0 else {
          text = "(null)"
          break
        }
        guard let s = conv == "s" ? readCString(pointer, max: 1024) : readWideString(pointer, max: 1024) else {
          setResult(Self.statusAccessViolation)
          return
        }
        text = s
      case "%": text = "%"
      default: text = "%" + String(conv)
      }
      if text.count < width {
        let pad = String(repeating: flags.contains("0") && !flags.contains("-") ? "0" : " ", count: width - text.count)
        text = flags.contains("-") ? text + pad : pad + text
      }
      out += text
    }
    setResult(0)
    eventHandler(.debugPrint(out))
  }

  static let statusAccessViolation: UInt32 = 0xC000_0005

  /// The NUL-terminated string at `address`, at most `max` bytes; nil when a byte before its end is unmapped.
  func readCString(_ address: UInt32, max: Int) -> String? {
    var bytes: [UInt8] = []
    var a = address
    while bytes.count < max {
      guard let b = emulator.read(a, count: 1)?.first else { return nil }
      if b == 0 { break }
      bytes.append(b)
      a &+= 1
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The NUL-terminated UTF-16 string at `address`, at most `max` units; nil when it runs into unmapped memory.
  func readWideString(_ address: UInt32, max: Int) -> String? {
    var units: [UInt16] = []
    var a = address
    while units.count < max {
      guard let b = emulator.read(a, count: 2) else { return nil }
      if b == [0, 0] { break }
      units.append(UInt16(b[0]) | UInt16(b[1]) << 8)
      a &+= 2
    }
    return String(decoding: units, as: UTF16.self)
  }
}
