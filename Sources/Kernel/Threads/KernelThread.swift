/// A system thread: its register file while not on the CPU, its stack and its KTHREAD in nonpaged pool.
final class KernelThread {
  enum State: Equatable {
    case ready
    case waiting(until: UInt64)
    case terminated
  }

  let id: UInt32
  let kthread: UInt32
  let startRoutine: UInt32
  /// Initial stack (top) and limit (lowest mapped address).
  let stackBase: UInt32
  let stackLimit: UInt32
  let isIdle: Bool
  var regs: [UInt32]
  var state: State = .ready

  init(
    id: UInt32, kthread: UInt32, startRoutine: UInt32, stackBase: UInt32, stackLimit: UInt32, isIdle: Bool,
    regs: [UInt32]
  ) {
    self.id = id
    self.kthread = kthread
    self.startRoutine = startRoutine
    self.stackBase = stackBase
    self.stackLimit = stackLimit
    self.isIdle = isIdle
    self.regs = regs
  }

  var eip: UInt32 {
    get { regs[8] }
    set { regs[8] = newValue }
  }
  var context: X86Context { X86Context(gprs: regs) }
}

/// KTHREAD/ETHREAD fields the kernel writes (XP x86 offsets).
enum KThreadLayout {
  static let size: UInt32 = 0x258
  static let initialStack: UInt32 = 0x18
  static let stackLimit: UInt32 = 0x1c
  static let kernelStack: UInt32 = 0x28
  static let cid: UInt32 = 0x1ec
  static let tag: UInt32 = 0x6572_6854  // 'Thre'
}
