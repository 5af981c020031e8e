import KDKernel
import KDProtocol

extension GetVersion: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let kernel = context.control.version()
    var reply = GetVersion()
    reply.majorVersion = kernel.majorVersion
    reply.minorVersion = kernel.build
    reply.protocolVersion = 6  // DBGKD_64BIT_PROTOCOL_VERSION2
    reply.secondaryVersion = UInt8(truncatingIfNeeded: ProtocolVersion.major)
    reply.flags = 0x2 | (kernel.processors > 1 ? 0x1 : 0)  // DBGKD_VERS_FLAG_DATA, _MP
    reply.machineType = kernel.machineType
    reply.maxPacketType = UInt8(PacketType.poolTrace.rawValue + 1)
    reply.maxStateChange = UInt8(NewState.loadSymbols.rawValue - NewState.exception.rawValue + 1)
    reply.maxManipulate = UInt8(ApiNumber.unloadDriver.rawValue - ApiNumber.readVirtualMemory.rawValue + 1)
    reply.simulation = 1
    reply.kernBase = UInt64(kernel.kernelBase)
    reply.psLoadedModuleList = UInt64(kernel.psLoadedModuleList)
    return (.success, .getVersion(reply))
  }
}
