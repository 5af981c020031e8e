/// One thread, 32 bytes: `ThreadId u32, KThread u32, State u32, ProgramCounter u32, StartAddress u32,
/// StackBase u32, StackLimit u32, reserved u32`. State: 0 initialized, 1 ready, 2 running, 5 waiting,
/// 4 terminated (KTHREAD_STATE values).
public struct ThreadEntry: Equatable, Sendable {
  public static let size = 32
  public var threadId: UInt32
  public var kthread: UInt32
  public var state: UInt32
  public var programCounter: UInt32
  public var startAddress: UInt32
  public var stackBase: UInt32
  public var stackLimit: UInt32

  public init(
    threadId: UInt32, kthread: UInt32, state: UInt32, programCounter: UInt32, startAddress: UInt32,
    stackBase: UInt32, stackLimit: UInt32
  ) {
    self.threadId = threadId
    self.kthread = kthread
    self.state = state
    self.programCounter = programCounter
    self.startAddress = startAddress
    self.stackBase = stackBase
    self.stackLimit = stackLimit
  }
}

/// ListThreadsApi (0x3173, new): the kernel's threads, a page at a time.
///
/// u: `StartIndex u32 @16, MaxEntries u32 @20, TotalCount u32 @24` (out), `ReturnedCount u32 @28` (out).
/// Reply data: ReturnedCount × ``ThreadEntry``.
public struct ListThreads: ManipulateBody {
  public static let api = ApiNumber.listThreads
  public var startIndex: UInt32
  public var maxEntries: UInt32
  public var totalCount: UInt32
  public var threads: [ThreadEntry]

  public init(startIndex: UInt32 = 0, maxEntries: UInt32, totalCount: UInt32 = 0, threads: [ThreadEntry] = []) {
    self.startIndex = startIndex
    self.maxEntries = maxEntries
    self.totalCount = totalCount
    self.threads = threads
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    startIndex = try u.u32()
    maxEntries = try u.u32()
    totalCount = try u.u32()
    let countAt = u.absoluteOffset
    let returned = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    if d.remaining != returned * ThreadEntry.size {
      throw .lengthMismatch(
        field: "ReturnedCount", expected: returned * ThreadEntry.size, found: d.remaining, offset: countAt)
    }
    threads = []
    for _ in 0..<returned {
      let t = ThreadEntry(
        threadId: try d.u32(), kthread: try d.u32(), state: try d.u32(), programCounter: try d.u32(),
        startAddress: try d.u32(), stackBase: try d.u32(), stackLimit: try d.u32())
      try d.reserved32()
      threads.append(t)
    }
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(startIndex)
    u.u32(maxEntries)
    u.u32(totalCount)
    u.u32(UInt32(threads.count))
    for t in threads {
      for v in [t.threadId, t.kthread, t.state, t.programCounter, t.startAddress, t.stackBase, t.stackLimit, 0] {
        d.u32(v)
      }
    }
  }
}
