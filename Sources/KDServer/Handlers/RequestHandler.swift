import KDKernel
import KDProtocol

/// What a request handler sees: the kernel (inside its thread, between slices) and the session's limits.
struct RequestContext {
  let control: KernelControl
  /// Negotiated maximum payload of this session: replies must fit.
  let maxPayload: Int
}

/// One wire operation served from the kernel. One conformance per file, named `<Message>Handler.swift`;
/// ``RequestDispatcher`` is the only switch over operations.
protocol RequestHandler: ManipulateBody {
  /// Changes target state: controller only, and written to the audit log.
  static var mutates: Bool { get }
  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate)
}

/// A request long enough to be served in pieces, each its own turn on the kernel thread, so the target runs
/// between them (a search over gigabytes, from several observers at once, must not stop the target).
protocol SlicedRequestHandler: RequestHandler {
  /// One piece, starting at `cursor` (nil: the first): the reply, or where the next piece starts.
  func step(_ context: RequestContext, from cursor: UInt64?) throws(KernelError) -> SliceStep
}

enum SliceStep: Sendable {
  case done(NTStatus, Manipulate)
  case more(UInt64)
}

extension SlicedRequestHandler {
  /// All pieces in one turn (for callers that hold the kernel thread anyway).
  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    var cursor: UInt64?
    while true {
      switch try step(context, from: cursor) {
      case .done(let status, let body): return (status, body)
      case .more(let next): cursor = next
      }
    }
  }
}

extension RequestHandler {
  /// Served on the session's own thread when the target is halted (``Kernel/inspectHalted(_:)``), saving the
  /// two hops to the kernel thread and back: reads that end quickly. A search over gigabytes keeps to the
  /// kernel thread, where it takes turns with other work.
  static var inlineWhenHalted: Bool { !mutates && api != .searchMemory }
}

extension KernelError {
  /// The NTSTATUS a reply carries for this error.
  var status: NTStatus {
    switch self {
    case .notHalted: .invalidDeviceState
    case .targetBugChecked: .invalidDeviceState
    case .unknownThread, .unknownBreakpoint, .breakpointExists, .invalidDataBreakpoint: .invalidParameter
    case .unknownModule, .moduleNotUnloadable, .invalidVerifierSetting: .invalidParameter
    case .breakpointUnwritable: .accessViolation
    case .tooManyBreakpoints, .outOfMemory: .quotaExceeded
    case .shutDown: .systemShutdown
    default: .unsuccessful
    }
  }
}

/// Largest data a reply may carry within `maxPayload`.
func replyDataLimit(_ maxPayload: Int) -> Int { maxPayload - ManipulateState.headerSize }

/// The status of a listing page (ListModules, ListThreads, GetSymbols): STATUS_NO_MORE_ENTRIES when a later
/// page starts past the end (StartIndex > 0 and StartIndex >= TotalCount), whatever MaxEntries is;
/// STATUS_SUCCESS otherwise, also for MaxEntries 0 (TotalCount alone) and for an empty list asked from 0.
func listingStatus(startIndex: UInt32, totalCount: Int) -> NTStatus {
  startIndex > 0 && Int(startIndex) >= totalCount ? .noMoreEntries : .success
}

func narrowAddress(_ address: UInt64) -> UInt32? { UInt32(exactly: address) }
