import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Ctrl+C: a SIGINT handler that only sets a flag; the console polls it while the target runs
/// (break-in) and PoolMon polls it to stop.
enum Interrupt {
  static let flag = Atomic<Bool>(false)

  static func install() {
    signal(SIGINT) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
  }

  static func take() -> Bool { flag.exchange(false, ordering: .relaxed) }

  static func clear() { flag.store(false, ordering: .relaxed) }
}
