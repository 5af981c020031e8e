#if canImport(Glibc)
  import Glibc
#endif

/// Process-wide settings the transport needs.
public enum Transport {
  /// Ignores SIGPIPE for the whole process. OpenSSL's socket BIO writes with `write()`, and Linux has no
  /// `SO_NOSIGPIPE`: without this, a peer that closes while we write kills the process (exit 141).
  /// Executables call it at start; ``TLSListener`` and ``TLSClient`` call it too. Idempotent.
  public static func ignoreSIGPIPE() {
    _ = signal(SIGPIPE, SIG_IGN)
  }
}
