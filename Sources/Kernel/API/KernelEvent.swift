/// What the kernel tells its host; delivered on the kernel thread.
public enum KernelEvent: Sendable, Equatable {
  case halted(BreakEvent)
  case running
  /// DbgPrint output, one call's text.
  case debugPrint(String)
  case rebooted
  /// Pool calls a tag tracepoint logged since the last such event (ours, `!pooltrace`), oldest first, after each
  /// slice that logged some; `dropped`: events the kernel's ring overwrote before they could be handed over.
  case poolTrace([PoolTraceRecord], dropped: UInt64)
}

/// Whether the target executes.
public enum RunState: Sendable, Equatable {
  /// Loaded, `start()` not called yet.
  case notStarted
  case running
  case halted(BreakEvent)
}
