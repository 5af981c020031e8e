import KDCOM
import KDKernel
import KDProtocol

/// The DbgKd*Api requests a KD serial-protocol debugger sends while the target is halted, served as an XP/2003
/// x86 kdcom target serves them. Operations whose layout our protocol shares with KD go through the same handlers
/// as KD-protocol sessions (normalized first: kd leaves unused fields as they were and sends sign-extended
/// addresses); the x86 context, control space and continuation are served here; anything else gets
/// STATUS_UNSUCCESSFUL, as the real stub answers.
extension KDCOMSession {
  /// DbgKdReadControlSpaceApi, DbgKdWriteControlSpaceApi, DbgKdSwitchProcessor, DbgKdReadPhysicalMemoryApi.
  static let readControlSpace = ApiNumber(rawValue: 0x3137)
  static let writeControlSpace = ApiNumber(rawValue: 0x3138)
  static let switchProcessor = ApiNumber(rawValue: 0x3150)
  /// DbgKdClearAllInternalBreakpointsApi: kd sends it at attach and expects only the ACK.
  static let clearAllInternalBreakpoints = ApiNumber(rawValue: 0x315A)
  static let maxPayload = KDCOMPacket.maxPayload

  func serve(_ request: [UInt8]) {
    guard request.count >= ManipulateState.headerSize, let api = KDCOMManipulate.api(of: request) else {
      logger.debug("manipulate packet of \(request.count) bytes: too short, ignored")
      return
    }
    switch api {
    case .getVersion: getVersion(request)
    case .getContext: reply(request, data: getContext())
    case .setContext: setContext(request)
    case Self.readControlSpace: readControlSpace(request)
    case Self.switchProcessor:
      // One processor: the target reports its state again from it (no reply, as KD does).
      if let halted { sendStateChange(halted) }
    case .continue, .continue2: resume(request)
    case Self.clearAllInternalBreakpoints:
      break  // no internal (counting) breakpoints here, and no reply, as kdcom targets answer it
    default: serveShared(request, api: api)
    }
  }

  private func serveShared(_ request: [UInt8], api: ApiNumber) {
    guard let normalized = KDCOMManipulate.normalized(request),
      let state = try? ManipulateState(decoding: normalized),
      let handler = RequestDispatcher.handler(for: state.body)
    else {
      logger.debug("\(api) not served: STATUS_UNSUCCESSFUL")
      send(.stateManipulate, KDCOMManipulate.echo(of: request, status: .unsuccessful))
      return
    }
    let result = Result { () throws(KernelError) in
      try hub.kernel.sync { control throws(KernelError) in
        try handler.handle(RequestContext(control: control, maxPayload: Self.maxPayload))
      }
    }
    var reply = state
    switch result {
    case .success(let (status, body)):
      reply.status = status
      reply.body = body
      if case .writeBreakPoint(let w) = body, status == .success { breakpoints.insert(w.handle) }
      if case .restoreBreakPoint(let r) = body, status == .success { breakpoints.remove(r.handle) }
      if case .writeBreakPointEx(let w) = body {
        for e in w.entries where e.status == .success { breakpoints.insert(e.handle) }
      }
      if case .restoreBreakPointEx(let r) = body {
        for e in r.entries where e.status == .success { breakpoints.remove(e.handle) }
      }
    case .failure(let error):
      reply.status = error.status
    }
    var bytes = reply.encoded()
    KDCOMManipulate.convertAddresses(&bytes, toTarget: false)
    // DbgKdRebootApi gets no reply: the target goes away and comes back (its next halt is reported).
    guard api != .reboot else { return }
    send(.stateManipulate, bytes)
  }

  /// DbgKdGetVersionApi answered as kdcom answers it: the union is a copy of nt!KdVersionBlock, the
  /// DBGKD_GET_VERSION64 the kernel keeps in its memory with KD's own ranges for an XP/2003 x86 target (not the
  /// extensions our protocol's GetVersion reports).
  private func getVersion(_ request: [UInt8]) {
    let block = try? hub.kernel.sync { control throws(KernelError) in
      let at = control.version().versionBlock
      return control.readVirtual(at, count: ManipulateState.unionSize).bytes
    }
    guard let block, block.count == ManipulateState.unionSize else {
      reply(request, status: .unsuccessful, data: [])
      return
    }
    var out = KDCOMManipulate.echo(of: request, status: .success)
    out.replaceSubrange(16..<ManipulateState.headerSize, with: block)
    send(.stateManipulate, out)
  }

  private func reply(_ request: [UInt8], status: NTStatus = .success, data: [UInt8]) {
    send(.stateManipulate, KDCOMManipulate.echo(of: request, status: status) + data)
  }

  private func currentContext() -> KDKernel.X86Context? {
    try? hub.kernel.sync { control throws(KernelError) in try control.context(thread: nil) }
  }

  private func getContext() -> [UInt8] {
    guard let context = currentContext() else { return [] }
    return KDCOMContext.encode(KDProtocol.X86Context(context))
  }

  private func setContext(_ request: [UInt8]) {
    let data = Array(request.dropFirst(ManipulateState.headerSize))
    guard let current = currentContext(),
      let updated = KDCOMContext.apply(data, to: KDProtocol.X86Context(current))
    else {
      reply(request, status: .unsuccessful, data: [])
      return
    }
    let result = Result { () throws(KernelError) in
      try hub.kernel.sync { control throws(KernelError) in
        try control.setContext(KDKernel.X86Context(updated), thread: nil)
      }
    }
    reply(request, status: (try? result.get()) != nil ? .success : .unsuccessful, data: [])
  }

  /// x86 control space is the processor's KPROCESSOR_STATE: the CONTEXT (0x2cc bytes), then KSPECIAL_REGISTERS
  /// (0x54 bytes: CR0, CR2, CR3, CR4, the kernel's DR0-DR3, DR6, DR7, GDTR, IDTR, TR, LDTR). TargetBaseAddress
  /// is the offset into it.
  private func readControlSpace(_ request: [UInt8]) {
    let offset = KDCOMManipulate.u64(request, at: 16)
    let count = Int(KDCOMManipulate.u32(request, at: 24))
    let context = getContext()
    let state = context + KDCOMContext.specialRegisters()
    guard !context.isEmpty, offset < UInt64(state.count), count > 0 else {
      reply(request, status: .unsuccessful, data: [])
      return
    }
    let start = Int(offset)
    let bytes = Array(state[start..<min(state.count, start + min(count, Self.maxPayload - 56))])
    var out = KDCOMManipulate.echo(of: request, status: .success)
    KDCOMManipulate.store(UInt32(bytes.count), in: &out, at: 28)  // ActualBytesRead
    send(.stateManipulate, out + bytes)
  }

  /// DbgKdContinueApi / DbgKdContinueApi2: no reply; the target runs (one instruction with TraceFlag) and reports
  /// its next halt with a state change.
  private func resume(_ request: [UInt8]) {
    let singleStep = KDCOMManipulate.api(of: request) == .continue2 && KDCOMManipulate.u32(request, at: 20) & 1 != 0
    do {
      try hub.kernel.sync { control throws(KernelError) in try control.resume(singleStep: singleStep) }
      halted = nil
    } catch {
      logger.info("continue refused: \(error)")
      if let halted { sendStateChange(halted) }
    }
  }
}
