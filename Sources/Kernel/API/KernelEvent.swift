/// What the kernel tells its host; delivered on the kernel thread.
public enum KernelEvent: Sendable, Equatable {
  case halted(BreakEvent)
  case running
  /// DbgPrint output, one call's text.
  case debugPrint(String)
  case rebooted
}

/// Whether the target executes.
public enum RunState: Sendable, Equatable {
  /// Loaded, `start()` not called yet.
  case notStarted
  case running
  case halted(BreakEvent)
}
