internal import COpenSSL

#if canImport(Glibc)
  import Glibc
#endif

/// What a non-blocking `SSL_*` call that did not succeed means. "Would block" is a value, not an error.
enum SSLOutcome {
  case wantRead
  case wantWrite
  /// The peer sent close_notify.
  case closedByPeer
  case failed(TransportError)

  /// Classifies `result` of `call` on `ssl`; call right after the SSL call, on the same thread (it reads
  /// `errno` and drains this thread's OpenSSL error queue).
  static func after(_ ssl: OpaquePointer, result: Int32, call: String, during what: String) -> SSLOutcome {
    let savedErrno = errno
    switch SSL_get_error(ssl, result) {
    case SSL_ERROR_WANT_READ: return .wantRead
    case SSL_ERROR_WANT_WRITE: return .wantWrite
    case SSL_ERROR_ZERO_RETURN: return .closedByPeer
    case SSL_ERROR_SYSCALL:
      let (strings, reasons) = OpenSSLErrors.drain()
      if savedErrno == 0 || savedErrno == ECONNRESET || savedErrno == EPIPE {
        let how = savedErrno == 0 ? "closed the connection" : String(cString: strerror(savedErrno))
        let detail = reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", ")
        return .failed(
          TransportError(
            .connectionLost, "\(what): peer \(how) (\(call)\(detail))", call: call,
            errno: savedErrno == 0 ? nil : savedErrno, openSSLErrors: strings))
      }
      let system = TransportError.system(call, what, errno: savedErrno)
      return .failed(TransportError(.system, system.reason, call: call, errno: savedErrno, openSSLErrors: strings))
    default:
      let verify = SSL_get_verify_result(ssl)
      let (strings, reasons) = OpenSSLErrors.drain()
      let detail = " (\(call): " + reasons.joined(separator: ", ") + ")"
      let error: TransportError
      if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
        error = TransportError(
          .verification, what + detail + " (" + String(cString: text) + ")", call: call, openSSLErrors: strings)
      } else if let alert = reasons.first(where: { $0.contains("alert") }) {
        // The peer refused us; in TLS 1.3 a rejected client certificate arrives this way on the first read.
        error = TransportError(.tls, "\(what): peer sent TLS alert \"\(alert)\"", call: call, openSSLErrors: strings)
      } else if reasons.contains(where: { $0.contains("unexpected eof") }) {
        error = TransportError(
          .connectionLost, what + ": peer closed the connection without close_notify", call: call,
          openSSLErrors: strings)
      } else {
        error = TransportError(.tls, what + detail, call: call, openSSLErrors: strings)
      }
      return .failed(error)
    }
  }
}
