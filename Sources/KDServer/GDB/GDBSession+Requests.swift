import KDGDBRemote
import KDKernel

/// Each request a GDB client sends, served from the kernel. Errors are `E` replies with errno-style numbers
/// (01 bad request, 0e EFAULT memory, 10 EBUSY state, 16 EINVAL argument, 1c ENOSPC no slot), as gdbserver's.
extension GDBSession {
  enum ErrorReply: String {
    case badRequest = "E01"
    case memory = "E0e"
    case state = "E10"
    case argument = "E16"
    case noSlot = "E1c"
  }

  func fail(_ e: ErrorReply) { reply(e.rawValue) }

  func serve(_ request: GDBRequest) {
    switch request {
    case .querySupported(let features):
      peerReportsSwbreak = features.contains("swbreak+")
      reply(
        "PacketSize=\(GDBHex.number(Self.packetSize));QStartNoAckMode+;qXfer:features:read+;"
          + "qXfer:libraries:read+;qXfer:threads:read+;qXfer:exec-file:read+;swbreak+;hwbreak+")
    case .startNoAckMode:
      reply("OK")
      acknowledgements = false
    case .haltReason:
      if let halted {
        reply(stopReply(halted))
      } else {
        waiting = .stop(resumed: false)
        awaitingRunning = false
        logger.info("audit: break-in (gdb attached to a running target)")
        hub.kernel.breakIn()
      }
    case .readRegisters:
      guard let context = registers() else { return }
      reply(GDBI386Registers.gPacket(context.gdbOrder))
    case .writeRegisters(let bytes):
      guard bytes.count >= 4 * GDBI386Registers.integerCount else { return fail(.argument) }
      let values = (0..<GDBI386Registers.integerCount).map { littleEndian32(bytes, at: 4 * $0) }
      guard var context = registers() else { return }
      context.setGDBOrder(values)
      setRegisters(context)
    case .readRegister(let n):
      guard let size = GDBI386Registers.size(of: n) else { return fail(.argument) }
      guard n < GDBI386Registers.integerCount else { return reply(String(repeating: "x", count: 2 * size)) }
      guard let context = registers() else { return }
      reply(GDBHex.register(context.gdbOrder[n]))
    case .writeRegister(let n, let bytes):
      guard n < GDBI386Registers.integerCount, bytes.count == 4 else { return fail(.argument) }
      guard var context = registers() else { return }
      var values = context.gdbOrder
      values[n] = littleEndian32(bytes, at: 0)
      context.setGDBOrder(values)
      setRegisters(context)
    case .readMemory(let address, let length):
      readMemory(address: address, length: length)
    case .writeMemory(let address, let data):
      writeMemory(address: address, data: data)
    case .insertPoint(let type, let address, let kind):
      insertPoint(type, address: address, kind: kind)
    case .removePoint(let type, let address, let kind):
      removePoint(type, address: address, kind: kind)
    case .continue(let address):
      resume(singleStep: false, at: address)
    case .step(let address):
      resume(singleStep: true, at: address)
    case .vContQuery:
      reply("vCont;c;C;s;S")
    case .vCont(let actions):
      vCont(actions)
    case .setThread(let forContinue, let thread):
      setThread(forContinue: forContinue, thread)
    case .threadAlive(let thread):
      guard case .thread(let t) = thread, let info = threads().first(where: { Self.gdbID($0) == t }) else {
        return fail(.argument)
      }
      reply(info.state != .terminated ? "OK" : ErrorReply.argument.rawValue)
    case .currentThread:
      guard let current = currentThread(), let id = gdbID(kthread: current) else { return fail(.state) }
      reply("QC" + GDBHex.number(id))
    case .firstThreadInfo:
      let ids = threads().filter { $0.state != .terminated }.map { GDBHex.number(Self.gdbID($0)) }
      reply(ids.isEmpty ? "l" : "m" + ids.joined(separator: ","))
    case .subsequentThreadInfo:
      reply("l")
    case .threadExtraInfo(let thread):
      guard case .thread(let t) = thread, let info = threads().first(where: { Self.gdbID($0) == t }) else {
        return fail(.argument)
      }
      reply(GDBHex.encode(GDBDocuments(hub: hub).extraInfo(info).utf8))
    case .attached:
      reply("1")
    case .transfer(let object, let annex, let offset, let length):
      transfer(object: object, annex: annex, offset: offset, length: length)
    case .detach:
      detach()
    case .kill:
      // The kernel is the target and outlives its debuggers: `kill` ends this session and leaves the target as
      // a dropped KD controller leaves it (halted), without a reply (gdb expects none).
      removeInsertedPoints()
      finish(reason: "sent kill: session ended, target left as it is")
    case .file(let operation):
      serveFile(operation)
    case .unknown:
      reply("")
    }
  }

  // MARK: registers

  /// The registers of the `Hg` thread (or the one the target stopped in); E reply and nil when there are none.
  func registers() -> X86Context? {
    let thread = registerThread
    do {
      return try read { control throws(KernelError) in try control.context(thread: thread) }
    } catch {
      fail(.argument)
      return nil
    }
  }

  func setRegisters(_ context: X86Context) {
    let thread = registerThread
    do {
      try hub.kernel.sync { control throws(KernelError) in try control.setContext(context, thread: thread) }
      reply("OK")
    } catch .notHalted {
      fail(.state)
    } catch {
      fail(.argument)
    }
  }

  // MARK: memory

  func readMemory(address: UInt64, length: UInt64) {
    guard let start = UInt32(exactly: address) else { return fail(.memory) }
    let count = Int(min(length, UInt64(Self.maxReadPerPacket), KernelControl.addressSpaceEnd - address))
    guard count > 0 else { return reply("") }
    let bytes = (try? read { control in control.readVirtual(start, count: count).bytes }) ?? []
    // A short read answers with what was read, as gdb expects; nothing readable is an error.
    bytes.isEmpty ? fail(.memory) : replyFramed(GDBPacketEncoder.frameHex(bytes))
  }

  func writeMemory(address: UInt64, data: [UInt8]) {
    guard !data.isEmpty else { return reply("OK") }  // gdb's probe for X support
    guard let start = UInt32(exactly: address), address + UInt64(data.count) <= KernelControl.addressSpaceEnd else {
      return fail(.memory)
    }
    logger.info("audit: write memory", metadata: ["detail": "\"\(data.count) bytes at 0x\(GDBHex.number(start))\""])
    let written = (try? hub.kernel.sync { control in control.writeVirtual(start, data).written }) ?? 0
    written == data.count ? reply("OK") : fail(.memory)
  }

  // MARK: breakpoints and watchpoints

  func insertPoint(_ type: GDBRequest.PointType, address: UInt64, kind: UInt64) {
    guard let at = UInt32(exactly: address) else { return fail(.memory) }
    if type == .software {
      if softwareBreakpoints[at] != nil { return reply("OK") }
      do {
        let handle = try hub.kernel.sync { control throws(KernelError) in try control.setBreakpoint(at: at) }
        softwareBreakpoints[at] = (handle, true)
        reply("OK")
      } catch .breakpointExists(_, let handle) {
        softwareBreakpoints[at] = (handle, false)
        reply("OK")
      } catch .tooManyBreakpoints {
        fail(.noSlot)
      } catch {
        fail(.memory)
      }
      return
    }
    guard let length = UInt32(exactly: kind) else { return fail(.argument) }
    let key = DataPointKey(type: type.rawValue, address: at, length: length)
    if dataBreakpoints[key] != nil { return reply("OK") }
    let access: DataAccess =
      switch type {
      case .hardware: .execute
      case .write: .write
      case .read: .read
      default: .readWrite
      }
    // gdb gives a hardware breakpoint's kind as the instruction's length; the debug register watches one byte.
    let size = type == .hardware ? 1 : length
    do {
      dataBreakpoints[key] = try hub.kernel.sync { control throws(KernelError) in
        try control.setDataBreakpoint(address: at, size: size, access: access)
      }
      reply("OK")
    } catch .tooManyBreakpoints {
      fail(.noSlot)
    } catch {
      fail(.argument)
    }
  }

  func removePoint(_ type: GDBRequest.PointType, address: UInt64, kind: UInt64) {
    guard let at = UInt32(exactly: address) else { return fail(.memory) }
    if type == .software {
      // Unknown (never inserted, or gone with a reboot): already out, as asked.
      guard let entry = softwareBreakpoints.removeValue(forKey: at) else { return reply("OK") }
      if entry.owned {
        _ = try? hub.kernel.sync { control throws(KernelError) in try control.removeBreakpoint(handle: entry.handle) }
      }
      return reply("OK")
    }
    let key = DataPointKey(type: type.rawValue, address: at, length: UInt32(truncatingIfNeeded: kind))
    guard let handle = dataBreakpoints.removeValue(forKey: key) else { return reply("OK") }
    _ = try? hub.kernel.sync { control throws(KernelError) in try control.removeDataBreakpoint(handle: handle) }
    reply("OK")
  }

  /// The kind of point a data-breakpoint handle is, for the stop reply.
  func dataPoint(handle: UInt32) -> DataPointKey? {
    dataBreakpoints.first { $0.value == handle }?.key
  }

  // MARK: running

  func resume(singleStep: Bool, at address: UInt64?) {
    guard let halted else {
      // gdb resumes only a stopped target; a running one has nothing to resume (and a stop will be reported).
      waiting = .stop(resumed: true)
      return
    }
    if let address {
      guard let pc = UInt32(exactly: address) else { return fail(.memory) }
      var context = halted.context
      context.eip = pc
      do {
        try hub.kernel.sync { control throws(KernelError) in try control.setContext(context, thread: nil) }
      } catch {
        return fail(.state)
      }
    }
    logger.info("audit: \(singleStep ? "single step" : "go") (gdb)")
    waiting = .stop(resumed: true)
    awaitingRunning = true
    do {
      try hub.kernel.sync { control throws(KernelError) in try control.resume(singleStep: singleStep) }
    } catch .targetBugChecked(let code) {
      awaitingRunning = false
      console("the target bug-checked (0x\(BugCheckText.hex8(code))): it cannot run until it is rebooted\n")
      reportStop(halted)
    } catch {
      awaitingRunning = false
      waiting = .nothing
      fail(.state)
    }
  }

  /// All-stop: the whole target runs or steps; a step applies to the thread it stopped in.
  func vCont(_ actions: [GDBRequest.ContinueAction]) {
    let stopped = halted.map { UInt64($0.thread) }
    let stoppedID = stopped.flatMap { gdbID(kthread: UInt32(truncatingIfNeeded: $0)) }
    var step = false
    for action in actions where action.kind == .step {
      switch action.thread {
      case nil, .all?, .any?: step = true
      case .thread(let t)?:
        guard t == stoppedID else {
          logger.debug("vCont step of thread \(GDBHex.number(t)), not the stopped one")
          return fail(.argument)
        }
        step = true
      }
    }
    guard step || actions.contains(where: { $0.kind == .continue }) else { return fail(.argument) }
    resume(singleStep: step, at: nil)
  }

  func setThread(forContinue: Bool, _ thread: GDBThreadID) {
    switch thread {
    case .all, .any:
      if !forContinue { registerThread = nil }
      reply("OK")
    case .thread(let t):
      guard let info = threads().first(where: { Self.gdbID($0) == t }) else { return fail(.argument) }
      if !forContinue { registerThread = info.kthread }
      reply("OK")
    }
  }

  func detach() {
    removeInsertedPoints()
    reply("OK")
    // As gdb's `detach` does to a process, the target goes on running.
    if halted != nil {
      do {
        try hub.kernel.sync { control throws(KernelError) in try control.resume(singleStep: false) }
      } catch {
        logger.info("detach: target left halted: \(error)")
      }
    }
    finish(reason: "detached")
  }

  // MARK: files

  /// A read-only file server of the modules' symbol files (``GDBSymbolFile``). Errors are gdb's File-I/O errno
  /// values: 2 ENOENT, 9 EBADF, 13 EACCES, 24 EMFILE.
  func serveFile(_ operation: GDBRequest.FileOperation) {
    switch operation {
    case .setFilesystem:
      reply("F0")
    case .open(let path, let flags, _):
      guard flags & 3 == 0 else { return reply("F-1,d") }  // not O_RDONLY
      guard openFiles.count < 16 else { return reply("F-1,18") }
      let modules = (try? read { control in control.modules() }) ?? []
      guard let module = modules.first(where: { GDBSymbolFile.path(of: $0) == path }) else { return reply("F-1,2") }
      let symbols = (try? read { control in control.symbols(moduleBase: module.base) ?? [] }) ?? []
      let fd = nextFileDescriptor
      nextFileDescriptor += 1
      openFiles[fd] = GDBSymbolFile.make(module: module, symbols: symbols)
      reply("F" + GDBHex.number(fd))
    case .pread(let fd, let count, let offset):
      guard let file = openFiles[fd] else { return reply("F-1,9") }
      let part = GDBTransfer.slice(file, offset: offset, length: min(count, UInt64(Self.maxReadPerPacket)))
      reply(Array("F\(GDBHex.number(part.count));".utf8) + part)
    case .close(let fd):
      reply(openFiles.removeValue(forKey: fd) == nil ? "F-1,9" : "F0")
    case .fstat(let fd):
      guard let file = openFiles[fd] else { return reply("F-1,9") }
      reply(Array("F40;".utf8) + GDBTransfer.fileStat(size: UInt64(file.count)))
    case .other:
      reply("")
    }
  }

  // MARK: reading the kernel

  /// A read: on this thread when the target is halted and idle, else on the kernel thread.
  func read<T: Sendable>(_ body: (KernelControl) throws(KernelError) -> T) throws(KernelError) -> T {
    if let value = try hub.kernel.inspectHalted(body) { return value }
    return try hub.kernel.sync(body)
  }

  func threads() -> [ThreadInfo] {
    (try? read { control in control.threads() }) ?? []
  }

  /// gdb's id for a thread: its Cid, as Windows numbers threads; the idle thread's Cid is 0, which gdb reads
  /// as "any thread", so it is 1 (Cids are multiples of 4: no other thread has it). KTHREAD addresses would not
  /// do: gdb keeps thread ids as signed 32-bit numbers, and kernel addresses are above 0x80000000.
  static func gdbID(_ t: ThreadInfo) -> UInt64 { t.id == 0 ? 1 : UInt64(t.id) }

  func gdbID(kthread: UInt32) -> UInt64? {
    threads().first { $0.kthread == kthread }.map(Self.gdbID)
  }

  /// The thread the target stopped in, or the one on the processor while it runs.
  func currentThread() -> UInt32? {
    if let halted { return halted.thread }
    return threads().first { $0.state == .running }?.kthread
  }

  func transfer(object: String, annex: String, offset: UInt64, length: UInt64) {
    let document: [UInt8]
    switch (object, annex) {
    case ("features", "target.xml"): document = Array(GDBI386Registers.targetXML.utf8)
    case ("libraries", ""): document = Array(GDBDocuments(hub: hub).libraries().utf8)
    case ("threads", ""): document = Array(GDBDocuments(hub: hub).threads(threads()).utf8)
    case ("exec-file", _):
      guard let nt = ((try? read { control in control.modules() }) ?? []).first(where: { $0.name == "nt" }) else {
        return fail(.badRequest)
      }
      document = Array(GDBSymbolFile.path(of: nt).utf8)
    default: return fail(.badRequest)
    }
    reply(GDBTransfer.chunk(document, offset: offset, length: min(length, UInt64(Self.maxReadPerPacket))))
  }
}

func littleEndian32(_ bytes: [UInt8], at i: Int) -> UInt32 {
  UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
}
