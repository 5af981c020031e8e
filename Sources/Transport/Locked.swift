#if canImport(Glibc)
  import Glibc
#endif

/// A value behind a pthread mutex. Used instead of `Synchronization.Mutex` because ThreadSanitizer does not
/// see the futex-based Mutex on Linux and reports false races through it; it does understand pthread mutexes.
final class Locked<Value>: @unchecked Sendable {  // safe: `value` is touched only while `mutex` is held
  private var mutex = pthread_mutex_t()
  private var value: Value

  init(_ value: Value) {
    self.value = value
    pthread_mutex_init(&mutex, nil)
  }

  deinit { pthread_mutex_destroy(&mutex) }

  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return try body(&value)
  }
}
