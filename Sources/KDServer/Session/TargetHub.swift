import Dispatch
import KDKernel
import KDProtocol
import Logging
import Synchronization

/// What the hub tells every member, in the kernel's order.
enum HubEvent: Sendable {
  case halted(BreakEvent)
  case kernel(KernelEvent)
}

/// Anything attached to the target through the hub: a KD session (``Session``) or a GDB one (``GDBSession``).
protocol HubMember: AnyObject, Sendable {
  var peer: String { get }
  /// Queues an event for the member; any thread, never blocks.
  func deliver(_ event: HubEvent)
  /// Tells the member's peer why, and disconnects it; any thread.
  func close(status: NTStatus, reason: String)
}

/// The target as sessions share it: the kernel, who controls it, and the events every session receives.
///
/// Roles: at most one controller; any number of observers. The current break event is kept here, so a client
/// that attaches to a halted target (or reattaches after a drop) is told at once.
final class TargetHub: Sendable {
  struct Members {
    var sessions: [UInt32: any HubMember] = [:]
    var controller: UInt32?
    var nextSessionId: UInt32 = 1
    /// The break the target is halted in, as last reported by the kernel.
    var halted: BreakEvent?
    /// Bumped whenever a pending --resume-after must be forgotten (a controller attached).
    var resumeGeneration: UInt64 = 0
    /// The pending --resume-after, kept so it can fire (a dropped timer would be cancelled).
    var resumeTimer: (any SessionTimer)?
  }

  let kernel: Kernel
  let policy: SessionPolicy
  let clock: any SessionClock
  let logger: Logger
  let processors: UInt32
  private let members = Mutex(Members())
  /// Called when a session ends (for --once).
  let onSessionEnded: @Sendable () -> Void

  init(
    kernel: Kernel, policy: SessionPolicy, clock: any SessionClock = DispatchSessionClock(), logger: Logger,
    onSessionEnded: @escaping @Sendable () -> Void = {}
  ) throws(KernelError) {
    self.kernel = kernel
    self.policy = policy
    self.clock = clock
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
    let sessions: [any HubMember] = members.withLock { m in
      switch event {
      case .halted(let breakEvent):
        m.halted = breakEvent
      case .running, .rebooted:
        m.halted = nil
      case .debugPrint, .poolTrace:
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
    case admitted(id: UInt32, role: HelloReply.Role, halted: BreakEvent?, displaced: (any HubMember)?)
    case refused(NTStatus, String)
  }

  /// Admits a session after its hello, with the role it asked for if it can have it. With `mayTakeOver` false
  /// (a GDB client) a held controller role is refused even where the policy allows takeover.
  func admit(_ session: any HubMember, wantsController: Bool, mayTakeOver: Bool = true) -> Admission {
    members.withLock { m in
      if m.sessions.count >= policy.maxSessions {
        return .refused(.quotaExceeded, "\(m.sessions.count) sessions are attached, the most this server allows")
      }
      let id = m.nextSessionId
      m.nextSessionId &+= 1
      var role = HelloReply.Role.observer
      var displaced: (any HubMember)?
      if wantsController {
        if let current = m.controller {
          guard policy.allowTakeover && mayTakeOver else {
            let holder = m.sessions[current]?.peer ?? "another session"
            return .refused(
              .deviceBusy, "the controller role is held by \(holder); attach as an observer or retry later")
          }
          displaced = m.sessions[current]
        }
        m.controller = id
        role = .controller
        m.resumeGeneration &+= 1
      } else {
        let observers = m.sessions.count - (m.controller == nil ? 0 : 1)
        if observers >= policy.maxObservers {
          return .refused(.quotaExceeded, "\(observers) observers are attached, the most this server allows")
        }
      }
      m.sessions[id] = session
      return .admitted(
        id: id, role: role, halted: m.halted, displaced: displaced)
    }
  }

  func isController(_ id: UInt32) -> Bool { members.withLock { $0.controller == id } }

  /// The break the target is halted in, or nil while it runs (as the kernel last reported).
  var haltedEvent: BreakEvent? { members.withLock { $0.halted } }

  func remove(_ id: UInt32) {
    let (wasController, halted) = members.withLock { m -> (Bool, Bool) in
      m.sessions[id] = nil
      let was = m.controller == id
      if was { m.controller = nil }
      return (was, m.halted != nil)
    }
    if wasController && halted, let delay = policy.resumeAfter {
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
    let timer = clock.schedule(after: delay, on: eventQueue) { [self] in
      let stillAlone = members.withLock {
        $0.resumeGeneration == generation && $0.controller == nil && $0.halted != nil
      }
      guard stillAlone else { return }
      logger.notice("audit: resuming the target: no controller for \(delay)", metadata: ["event": "resume-after"])
      _ = try? kernel.sync { control throws(KernelError) in try control.resume(singleStep: false) }
    }
    members.withLock { m in
      m.resumeTimer?.cancel()
      m.resumeTimer = timer
    }
  }

  /// Every session is told the server is going away.
  func shutdown(reason: String) {
    let sessions = members.withLock { Array($0.sessions.values) }
    for session in sessions { session.close(status: .systemShutdown, reason: reason) }
  }

  var sessionCount: Int { members.withLock { $0.sessions.count } }
}
