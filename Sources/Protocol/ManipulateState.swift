/// A KD_STATE_MANIPULATE payload: KD's 56-byte DBGKD_MANIPULATE_STATE64 header followed by the operation's data.
///
/// ```
/// +0  ApiNumber       u32
/// +4  ProcessorLevel  u16
/// +6  Processor       u16
/// +8  ReturnStatus    u32   STATUS_PENDING in requests, the result in replies
/// +12 reserved        u32   must be 0
/// +16 u               40 bytes, laid out per ApiNumber
/// +56 data            per ApiNumber
/// ```
/// A request and its reply share the layout (as in KD): the reply echoes the request's fields, fills the "out"
/// fields and carries the data.
public struct ManipulateState: Equatable, Sendable {
  public static let headerSize = 56
  public static let unionSize = 40
  /// Offset of the payload within the frame, for error offsets.
  static let frameOffset = Frame.headerSize

  public var processorLevel: UInt16
  public var processor: UInt16
  public var status: NTStatus
  public var body: Manipulate

  public init(_ body: Manipulate, status: NTStatus = .pending, processor: UInt16 = 0, processorLevel: UInt16 = 0) {
    self.body = body
    self.status = status
    self.processor = processor
    self.processorLevel = processorLevel
  }

  public var api: ApiNumber { body.api }

  public init(decoding payload: [UInt8]) throws(PayloadError) {
    var r = ByteReader(payload, baseOffset: Self.frameOffset)
    let api = ApiNumber(rawValue: try r.u32())
    processorLevel = try r.u16()
    processor = try r.u16()
    status = NTStatus(try r.u32())
    try r.reserved32()
    var union = ByteReader(try r.bytes(Self.unionSize), baseOffset: Self.frameOffset + 16)
    let data = ByteReader(try r.bytes(r.remaining), baseOffset: Self.frameOffset + Self.headerSize)
    body = try Manipulate.decode(api: api, union: &union, data: data)
  }

  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: Self.headerSize)
    w.u32(body.api.rawValue)
    w.u16(processorLevel)
    w.u16(processor)
    w.u32(status.rawValue)
    w.u32(0)
    var union = ByteWriter(capacity: Self.unionSize)
    var data = ByteWriter()
    body.encode(union: &union, data: &data)
    union.pad(to: Self.unionSize)
    w.append(union.bytes)
    w.append(data.bytes)
    return w.bytes
  }
}

/// One operation's fields: the 40-byte union and the data after the header.
public protocol ManipulateBody: Equatable, Sendable {
  static var api: ApiNumber { get }
  init(union: inout ByteReader, data: ByteReader) throws(PayloadError)
  func encode(union: inout ByteWriter, data: inout ByteWriter)
}

/// Every operation this protocol knows, and the ones it does not (kept, so the receiver can refuse them).
public enum Manipulate: Equatable, Sendable {
  case readVirtualMemory(ReadVirtualMemory)
  case writeVirtualMemory(WriteVirtualMemory)
  case getContext(GetContext)
  case setContext(SetContext)
  case writeBreakPoint(WriteBreakPoint)
  case restoreBreakPoint(RestoreBreakPoint)
  case `continue`(Continue)
  case continue2(Continue2)
  case reboot(Reboot)
  case getVersion(GetVersion)
  case writeBreakPointEx(WriteBreakPointEx)
  case restoreBreakPointEx(RestoreBreakPointEx)
  case searchMemory(SearchMemory)
  case queryMemory(QueryMemory)
  case getStackTrace(GetStackTrace)
  case readMemoryBatch(ReadMemoryBatch)
  case listModules(ListModules)
  case listThreads(ListThreads)
  case getSymbols(GetSymbols)
  case writeDataBreakPoint(WriteDataBreakPoint)
  case restoreDataBreakPoint(RestoreDataBreakPoint)
  case getPoolSites(GetPoolSites)
  case getSymbolFile(GetSymbolFile)
  case tagSplit(TagSplit)
  case poolTraceControl(PoolTraceControl)
  case poolTraceSubscribe(PoolTraceSubscribe)
  case poolScan(PoolScan)
  case getScenarioLeaks(GetScenarioLeaks)
  case haltAt(HaltAt)
  case verifierSettings(VerifierSettings)
  case unloadDriver(UnloadDriver)
  case unknown(api: ApiNumber, union: [UInt8], data: [UInt8])

  /// The one place that maps ApiNumbers to types.
  static let registry: [ApiNumber: @Sendable (inout ByteReader, ByteReader) throws(PayloadError) -> Manipulate] = [
    ReadVirtualMemory.api: { u, d throws(PayloadError) in .readVirtualMemory(try .init(union: &u, data: d)) },
    WriteVirtualMemory.api: { u, d throws(PayloadError) in .writeVirtualMemory(try .init(union: &u, data: d)) },
    GetContext.api: { u, d throws(PayloadError) in .getContext(try .init(union: &u, data: d)) },
    SetContext.api: { u, d throws(PayloadError) in .setContext(try .init(union: &u, data: d)) },
    WriteBreakPoint.api: { u, d throws(PayloadError) in .writeBreakPoint(try .init(union: &u, data: d)) },
    RestoreBreakPoint.api: { u, d throws(PayloadError) in .restoreBreakPoint(try .init(union: &u, data: d)) },
    Continue.api: { u, d throws(PayloadError) in .continue(try .init(union: &u, data: d)) },
    Continue2.api: { u, d throws(PayloadError) in .continue2(try .init(union: &u, data: d)) },
    Reboot.api: { u, d throws(PayloadError) in .reboot(try .init(union: &u, data: d)) },
    GetVersion.api: { u, d throws(PayloadError) in .getVersion(try .init(union: &u, data: d)) },
    WriteBreakPointEx.api: { u, d throws(PayloadError) in .writeBreakPointEx(try .init(union: &u, data: d)) },
    RestoreBreakPointEx.api: { u, d throws(PayloadError) in .restoreBreakPointEx(try .init(union: &u, data: d)) },
    SearchMemory.api: { u, d throws(PayloadError) in .searchMemory(try .init(union: &u, data: d)) },
    QueryMemory.api: { u, d throws(PayloadError) in .queryMemory(try .init(union: &u, data: d)) },
    GetStackTrace.api: { u, d throws(PayloadError) in .getStackTrace(try .init(union: &u, data: d)) },
    ReadMemoryBatch.api: { u, d throws(PayloadError) in .readMemoryBatch(try .init(union: &u, data: d)) },
    ListModules.api: { u, d throws(PayloadError) in .listModules(try .init(union: &u, data: d)) },
    ListThreads.api: { u, d throws(PayloadError) in .listThreads(try .init(union: &u, data: d)) },
    GetSymbols.api: { u, d throws(PayloadError) in .getSymbols(try .init(union: &u, data: d)) },
    WriteDataBreakPoint.api: { u, d throws(PayloadError) in .writeDataBreakPoint(try .init(union: &u, data: d)) },
    RestoreDataBreakPoint.api: { u, d throws(PayloadError) in
      .restoreDataBreakPoint(try .init(union: &u, data: d))
    },
    GetPoolSites.api: { u, d throws(PayloadError) in .getPoolSites(try .init(union: &u, data: d)) },
    GetSymbolFile.api: { u, d throws(PayloadError) in .getSymbolFile(try .init(union: &u, data: d)) },
    TagSplit.api: { u, d throws(PayloadError) in .tagSplit(try .init(union: &u, data: d)) },
    PoolTraceControl.api: { u, d throws(PayloadError) in .poolTraceControl(try .init(union: &u, data: d)) },
    PoolTraceSubscribe.api: { u, d throws(PayloadError) in .poolTraceSubscribe(try .init(union: &u, data: d)) },
    PoolScan.api: { u, d throws(PayloadError) in .poolScan(try .init(union: &u, data: d)) },
    GetScenarioLeaks.api: { u, d throws(PayloadError) in .getScenarioLeaks(try .init(union: &u, data: d)) },
    HaltAt.api: { u, d throws(PayloadError) in .haltAt(try .init(union: &u, data: d)) },
    VerifierSettings.api: { u, d throws(PayloadError) in .verifierSettings(try .init(union: &u, data: d)) },
    UnloadDriver.api: { u, d throws(PayloadError) in .unloadDriver(try .init(union: &u, data: d)) },
  ]

  static func decode(api: ApiNumber, union: inout ByteReader, data: ByteReader) throws(PayloadError) -> Manipulate {
    guard let decode = registry[api] else {
      return .unknown(api: api, union: union.bytes, data: data.bytes)
    }
    return try decode(&union, data)
  }

  /// The body as its protocol type, for code that handles all of them alike.
  public var body: (any ManipulateBody)? {
    switch self {
    case .readVirtualMemory(let b): b
    case .writeVirtualMemory(let b): b
    case .getContext(let b): b
    case .setContext(let b): b
    case .writeBreakPoint(let b): b
    case .restoreBreakPoint(let b): b
    case .continue(let b): b
    case .continue2(let b): b
    case .reboot(let b): b
    case .getVersion(let b): b
    case .writeBreakPointEx(let b): b
    case .restoreBreakPointEx(let b): b
    case .searchMemory(let b): b
    case .queryMemory(let b): b
    case .getStackTrace(let b): b
    case .readMemoryBatch(let b): b
    case .listModules(let b): b
    case .listThreads(let b): b
    case .getSymbols(let b): b
    case .writeDataBreakPoint(let b): b
    case .restoreDataBreakPoint(let b): b
    case .getPoolSites(let b): b
    case .getSymbolFile(let b): b
    case .tagSplit(let b): b
    case .poolTraceControl(let b): b
    case .poolTraceSubscribe(let b): b
    case .poolScan(let b): b
    case .getScenarioLeaks(let b): b
    case .haltAt(let b): b
    case .verifierSettings(let b): b
    case .unloadDriver(let b): b
    case .unknown: nil
    }
  }

  public var api: ApiNumber {
    if case .unknown(let api, _, _) = self { return api }
    return type(of: body!).api
  }

  func encode(union: inout ByteWriter, data: inout ByteWriter) {
    if case .unknown(_, let u, let d) = self {
      union.append(u.prefix(ManipulateState.unionSize))
      data.append(d)
      return
    }
    body!.encode(union: &union, data: &data)
  }
}
