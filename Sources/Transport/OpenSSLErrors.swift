internal import COpenSSL

/// This thread's OpenSSL error queue. It is per thread, and Dispatch threads are shared, so every SSL call
/// is preceded by ``clear()`` and a failure is read with ``drain()`` in the same closure.
enum OpenSSLErrors {
  static func clear() { ERR_clear_error() }

  /// Takes every queued error: full strings (for evidence) and bare reasons (for one-line messages).
  static func drain() -> (strings: [String], reasons: [String]) {
    var strings: [String] = []
    var reasons: [String] = []
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      var buffer = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &buffer, buffer.count)
      strings.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
      if let reason = ERR_reason_error_string(code) {
        reasons.append(String(cString: reason))
      }
    }
    return (strings, reasons)
  }

  /// A ``TransportError`` for the OpenSSL call `call` that just failed, with the drained stack.
  static func error(_ code: TransportError.Code = .tls, call: String, _ what: String) -> TransportError {
    let (strings, reasons) = drain()
    let detail = reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", ")
    return TransportError(code, "\(what) (\(call)\(detail))", call: call, openSSLErrors: strings)
  }
}
