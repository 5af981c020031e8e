/// DbgKdGetVersionApi (0x3146): KD's DBGKD_GET_VERSION64, the target's capability record.
///
/// u (reply): `MajorVersion u16 @16` (0xF free build), `MinorVersion u16 @18` (build number, 2600),
/// `ProtocolVersion u8 @20` (6), `KdSecondaryVersion u8 @21`, `Flags u16 @22` (0x2 DATA; 0x1 MP when several
/// processors), `MachineType u16 @24` (0x014C x86), `MaxPacketType u8 @26`, `MaxStateChange u8 @27`,
/// `MaxManipulate u8 @28` (one beyond the highest understood, counted from the family base as KD does),
/// `Simulation u8 @29` (1: simulated target), `Unused u16 @30`, `KernBase u64 @32`, `PsLoadedModuleList u64 @40`,
/// `DebuggerDataList u64 @48`. The request carries zeros.
public struct GetVersion: ManipulateBody {
  public static let api = ApiNumber.getVersion
  public var majorVersion: UInt16 = 0
  public var minorVersion: UInt16 = 0
  public var protocolVersion: UInt8 = 0
  public var secondaryVersion: UInt8 = 0
  public var flags: UInt16 = 0
  public var machineType: UInt16 = 0
  public var maxPacketType: UInt8 = 0
  public var maxStateChange: UInt8 = 0
  public var maxManipulate: UInt8 = 0
  public var simulation: UInt8 = 0
  public var unused: UInt16 = 0
  public var kernBase: UInt64 = 0
  public var psLoadedModuleList: UInt64 = 0
  public var debuggerDataList: UInt64 = 0

  public init() {}

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    majorVersion = try u.u16()
    minorVersion = try u.u16()
    protocolVersion = try u.u8()
    secondaryVersion = try u.u8()
    flags = try u.u16()
    machineType = try u.u16()
    maxPacketType = try u.u8()
    maxStateChange = try u.u8()
    maxManipulate = try u.u8()
    simulation = try u.u8()
    unused = try u.u16()
    kernBase = try u.u64()
    psLoadedModuleList = try u.u64()
    debuggerDataList = try u.u64()
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u16(majorVersion)
    u.u16(minorVersion)
    u.u8(protocolVersion)
    u.u8(secondaryVersion)
    u.u16(flags)
    u.u16(machineType)
    u.u8(maxPacketType)
    u.u8(maxStateChange)
    u.u8(maxManipulate)
    u.u8(simulation)
    u.u16(unused)
    u.u64(kernBase)
    u.u64(psLoadedModuleList)
    u.u64(debuggerDataList)
  }
}
