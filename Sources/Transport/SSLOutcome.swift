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
      var error = OpenSSLErrors.error(call: call, what)
      if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
        error = TransportError(
          .verification, error.reason + " (" + String(cString: text) + ")", call: call,
          openSSLErrors: error.openSSLErrors)
      } else if error.reason.contains("unexpected eof") {
        error = TransportError(.connectionLost, error.reason, call: call, openSSLErrors: error.openSSLErrors)
      }
      return .failed(error)
    }
  }
}
