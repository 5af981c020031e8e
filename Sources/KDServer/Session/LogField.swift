/// Peer-supplied text made safe for one log line: control, non-ASCII and non-printable bytes become `\xNN`,
/// quotes and backslashes are escaped, the whole is capped, and it is quoted when it holds a space or `=`, so a
/// client can neither split a line nor forge a `key=value` field or an audit line.
enum LogField {
  static let maxBytes = 96

  static func quoted(_ text: String, maxBytes: Int = LogField.maxBytes) -> String {
    var out = ""
    var needsQuotes = text.isEmpty
    let bytes = Array(text.utf8)
    for byte in bytes.prefix(maxBytes) {
      switch byte {
      case UInt8(ascii: "\""): out += "\\\""
      case UInt8(ascii: "\\"): out += "\\\\"
      case 0x20, UInt8(ascii: "="):
        needsQuotes = true
        out.unicodeScalars.append(Unicode.Scalar(byte))
      case 0x21...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
      default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
      }
    }
    if bytes.count > maxBytes { out += "...(\(bytes.count) bytes)" }
    return needsQuotes || bytes.count > maxBytes ? "\"" + out + "\"" : out
  }
}
