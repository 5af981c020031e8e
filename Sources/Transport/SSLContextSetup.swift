internal import COpenSSL

/// Building blocks shared by server and client `SSL_CTX`s. Each returns a new context or throws; the caller
/// owns the context (`SSL_CTX_free`).
enum SSLContextSetup {
  /// A context for `method` with our protocol floor, non-blocking write modes and no renegotiation.
  static func make(server: Bool, allowTLS12: Bool) throws(TransportError) -> OpaquePointer {
    OpenSSLErrors.clear()
    guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
      throw OpenSSLErrors.error(call: "SSL_CTX_new", "cannot create a TLS context")
    }
    let floor = allowTLS12 ? TLS1_2_VERSION : TLS1_3_VERSION
    guard kd_SSL_CTX_set_min_proto_version(context, floor) == 1,
      kd_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1
    else {
      SSL_CTX_free(context)
      throw OpenSSLErrors.error(call: "SSL_CTX_set_min_proto_version", "cannot restrict TLS versions")
    }
    _ = kd_SSL_CTX_set_mode(context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
    _ = kd_SSL_CTX_set_no_renegotiation(context)
    return context
  }

  /// Loads a PEM certificate chain and its key into `context`, checking they belong together.
  static func useIdentity(_ context: OpaquePointer, certificate: String, key: String) throws(TransportError) {
    OpenSSLErrors.clear()
    guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
      throw OpenSSLErrors.error(
        .configuration, call: "SSL_CTX_use_certificate_chain_file", "cannot load certificate \(certificate)")
    }
    guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
      throw OpenSSLErrors.error(.configuration, call: "SSL_CTX_use_PrivateKey_file", "cannot load key \(key)")
    }
    guard SSL_CTX_check_private_key(context) == 1 else {
      throw OpenSSLErrors.error(
        .configuration, call: "SSL_CTX_check_private_key", "key \(key) does not match certificate \(certificate)")
    }
  }

  /// Trusts the PEM CA bundle at `path` for verifying the peer.
  static func trust(_ context: OpaquePointer, caFile path: String) throws(TransportError) {
    OpenSSLErrors.clear()
    guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
      throw OpenSSLErrors.error(.configuration, call: "SSL_CTX_load_verify_locations", "cannot load CA file \(path)")
    }
  }

  /// Both of a certificate/key pair, or neither.
  static func pair(_ certificate: String?, _ key: String?, what: String) throws(TransportError) -> (String, String)? {
    switch (certificate, key) {
    case (nil, nil): return nil
    case (let certificate?, let key?): return (certificate, key)
    default: throw TransportError(.configuration, "\(what): give both a certificate and a key, or neither")
    }
  }
}
