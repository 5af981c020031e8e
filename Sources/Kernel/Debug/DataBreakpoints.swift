/// Data breakpoints as x86's debug registers DR0-DR3 give them (KD's `ba`, gdb's watchpoints): at most four,
/// each 1, 2 or 4 bytes aligned on its size, on write, on read, on read or write, or on execution.
///
/// Semantics are the processor's: a write or read breakpoint is a trap, reported after the instruction that
/// touched the range completes (EIP is the next instruction); an execution breakpoint is a fault, reported
/// before the instruction at its address runs, and the resume that follows steps over it once (EFLAGS.RF).
/// Only the guest's own instructions are watched: nt's services run on the host and their accesses are not.
struct DataBreakpoints {
  static let limit = 4

  struct Slot: Equatable {
    var handle: UInt32
    var address: UInt32
    var size: UInt32
    var access: DataAccess
  }

  private(set) var slots: [Slot] = []
  private var nextHandle: UInt32 = 1

  var isEmpty: Bool { slots.isEmpty }

  /// Checks the x86 rules and takes a slot; the caller installs the hooks.
  mutating func insert(address: UInt32, size: UInt32, access: DataAccess) throws(KernelError) -> Slot {
    guard [1, 2, 4].contains(size) else {
      throw .invalidDataBreakpoint(address: address, size: size, "size must be 1, 2 or 4")
    }
    guard address % size == 0 else {
      throw .invalidDataBreakpoint(address: address, size: size, "address must be aligned on the size")
    }
    if access == .execute && size != 1 {
      throw .invalidDataBreakpoint(address: address, size: size, "an execution breakpoint has size 1")
    }
    if let same = slots.first(where: { $0.address == address && $0.size == size && $0.access == access }) {
      throw .breakpointExists(address: address, handle: same.handle)
    }
    guard slots.count < Self.limit else { throw .tooManyBreakpoints(limit: Self.limit) }
    var h = nextHandle
    while h == 0 || slots.contains(where: { $0.handle == h }) { h &+= 1 }
    nextHandle = h &+ 1
    let slot = Slot(handle: h, address: address, size: size, access: access)
    slots.append(slot)
    return slot
  }

  mutating func remove(handle: UInt32) throws(KernelError) -> Slot {
    guard let i = slots.firstIndex(where: { $0.handle == handle }) else { throw .unknownBreakpoint(handle) }
    return slots.remove(at: i)
  }

  /// The execution breakpoint at `address`, if any.
  func execution(at address: UInt32) -> Slot? {
    slots.first { $0.access == .execute && $0.address == address }
  }
}

/// What a data breakpoint watches: KD's `ba w`, `ba r` (read or write, as DR7 has it) and `ba e`; gdb's
/// `watch`, `awatch` and `rwatch`. The emulator sees each access's direction, so a read-only breakpoint (which
/// DR7 cannot express) is exact here too.
public enum DataAccess: String, Sendable, Equatable {
  case write
  case read
  case readWrite
  case execute

  /// Whether an access in this direction triggers it.
  func matches(write: Bool) -> Bool {
    switch self {
    case .write: write
    case .read: !write
    case .readWrite: true
    case .execute: false
    }
  }
}

/// A data breakpoint as the debugger sees it.
public struct DataBreakpointInfo: Sendable, Equatable {
  public var handle: UInt32
  public var address: UInt32
  public var size: UInt32
  public var access: DataAccess
}
