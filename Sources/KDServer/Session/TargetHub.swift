import Dispatch
import KDKernel
import KDProtocol
import Logging
import Synchronization

/// The target as sessions share it: the kernel, who controls it, and the events every session receives.
///
/// Roles: at most one controller; any number of observers. The current break event is kept here, so a client
/// that attaches to a halted target (or reattaches after a drop) is told at once.
final class TargetHub: Sendable {
  struct Members {
    var sessions: [UInt32: Session] = [:]
    var controller: UInt32?
    var nextSessionId: UInt32 = 1
    /// The break the target is halted in, as last reported by the kernel.
    var halted: BreakEvent?
    /// Bumped whenever a pending --resume-after must be forgotten (a controller attached).
    var resumeGeneration: UInt64 = 0
  }

  let kernel: Kernel
  let configuration: ServerConfiguration
  let logger: Logger
  let processors: UInt32
  private let members = Mutex(Members())
  /// Called when a session ends (for --once).
  let onSessionEnded: @Sendable () -> Void

  init(
    kernel: Kernel, configuration: ServerConfiguration, logger: Logger, onSessionEnded: @escaping @Sendable () -> Void
  ) throws(KernelError) {
    self.kernel = kernel
    self.configuration = configuration
    self.logger = logger
    self.onSessionEnded = onSessionEnded
    processors = try kernel.sync { $0.version().processors }
  }

  /// Serial: kernel events are processed here in order, off the kernel thread.
  private let eventQueue = DispatchQueue(label: "kdserver.events")

  /// Kernel events arrive on the kernel thread; they are handled in order on `eventQueue`.
  func kernelEvent(_ event: KernelEvent) {
    eventQueue.async { [self] in process(event) }
  }

  /// Remembers the event, then queues it to every session (each session's queue keeps the order).
  private func process(_ event: KernelEvent) {
    let sessions: [Session] = members.withLock { m in
      switch event {
      case .halted(let breakEvent):
        m.halted = breakEvent
      case .running, .rebooted:
        m.halted = nil
      case .debugPrint:
        break
      }
      return Array(m.sessions.values)
    }
    if case .halted(let breakEvent) = event {
      for session in sessions { session.deliver(.halted(breakEvent)) }
      return
    }
    for session in sessions { session.deliver(.kernel(event)) }
  }

  enum Admission {
    case admitted(id: UInt32, role: HelloReply.Role, halted: BreakEvent?, displaced: Session?)
    case refused(NTStatus, String)
  }

  /// Admits a session after its hello, with the role it asked for if it can have it.
  func admit(_ session: Session, wantsController: Bool) -> Admission {
    members.withLock { m in
      let id = m.nextSessionId
      m.nextSessionId &+= 1
      var role = HelloReply.Role.observer
      var displaced: Session?
      if wantsController {
        if let current = m.controller {
          guard configuration.allowTakeover else {
            let holder = m.sessions[current]?.peer ?? "another session"
            return .refused(
              .deviceBusy, "the controller role is held by \(holder); attach as an observer or retry later")
          }
          displaced = m.sessions[current]
        }
        m.controller = id
        role = .controller
        m.resumeGeneration &+= 1
      }
      m.sessions[id] = session
      return .admitted(
        id: id, role: role, halted: m.halted, displaced: displaced)
    }
  }

  func isController(_ id: UInt32) -> Bool { members.withLock { $0.controller == id } }

  func remove(_ id: UInt32) {
    let (wasController, halted) = members.withLock { m -> (Bool, Bool) in
      m.sessions[id] = nil
      let was = m.controller == id
      if was { m.controller = nil }
      return (was, m.halted != nil)
    }
    if wasController && halted, let delay = configuration.resumeAfter {
      scheduleResume(after: delay)
    }
    onSessionEnded()
  }

  /// The operator's --resume-after: a halted target with no controller for `delay` resumes.
  private func scheduleResume(after delay: Duration) {
    let generation = members.withLock { m in
      m.resumeGeneration &+= 1
      return m.resumeGeneration
    }
    let (seconds, attoseconds) = delay.components
    let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
      let stillAlone = members.withLock {
        $0.resumeGeneration == generation && $0.controller == nil && $0.halted != nil
      }
      guard stillAlone else { return }
      logger.notice("audit: resuming the target: no controller for \(delay)", metadata: ["event": "resume-after"])
      _ = try? kernel.sync { control throws(KernelError) in try control.resume(singleStep: false) }
    }
  }

  /// Every session is told the server is going away.
  func shutdown(reason: String) {
    let sessions = members.withLock { Array($0.sessions.values) }
    for session in sessions { session.close(status: .systemShutdown, reason: reason) }
  }

  var sessionCount: Int { members.withLock { $0.sessions.count } }
}
