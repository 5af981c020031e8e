/// A debugger breakpoint: KD's ID, where, whether enabled, and the target's handle while enabled. A processor
/// breakpoint (`ba`) has `processor` set; its handle is a data-breakpoint handle.
struct Breakpoint: Sendable, Equatable, Encodable {
  struct Processor: Sendable, Equatable, Encodable {
    var access: DataBreakpointAccess
    var size: UInt32
  }

  var id: Int
  var address: UInt32
  /// The expression as typed, for `bl`'s symbol column when it was symbolic.
  var expression: String
  var enabled: Bool
  var passes: Int
  var initialPasses: Int
  /// `;`-separated commands run at each hit (`"kb; g"`).
  var commands: String?
  var handle: UInt32?
  var processor: Processor?

  /// Puts it in the target; its handle.
  func insert(into target: any DebugTarget) throws(TargetError) -> UInt32 {
    guard let processor else { return try target.setBreakpoint(address) }
    return try target.setDataBreakpoint(address, size: processor.size, access: processor.access)
  }

  /// Takes it out of the target.
  func remove(handle: UInt32, from target: any DebugTarget) throws(TargetError) {
    if processor != nil { try target.removeDataBreakpoint(handle) } else { try target.removeBreakpoint(handle) }
  }
}
