import Foundation
import Testing

@testable import KDKernel

/// Boots a scenario as fast as possible and drives it from the test thread the way a server would.
final class Harness: @unchecked Sendable {
  // Safe: `halts`, `prints` and `traced` are only touched with `condition` locked.
  let kernel: Kernel
  private let condition = NSCondition()
  private var halts: [BreakEvent] = []
  private(set) var prints: [String] = []
  /// Tag tracepoint events handed over, in order.
  private var traced: [PoolTraceRecord] = []

  func tracedEvents() -> [PoolTraceRecord] {
    condition.lock()
    defer { condition.unlock() }
    return traced
  }

  init(
    _ scenario: String = "default", era: KernelEra? = nil, ntGlobalFlag: UInt32 = 0, pace: Double = 0,
    verifier: [VerifierSetting] = []
  ) throws {
    kernel = try Kernel(
      configuration: KernelConfiguration(
        scenario: scenario, pace: pace, era: era, ntGlobalFlag: ntGlobalFlag, verifier: verifier))
    kernel.setEventHandler { [weak self] event in
      guard let self else { return }
      self.condition.lock()
      switch event {
      case .halted(let e): self.halts.append(e)
      case .debugPrint(let s): self.prints.append(s)
      case .poolTrace(let records, _): self.traced += records
      default: break
      }
      self.condition.broadcast()
      self.condition.unlock()
    }
  }

  deinit { kernel.shutdown() }

  /// Resumes (optionally halting at +seconds of virtual time) and waits for the next halt.
  @discardableResult
  func run(seconds: Double? = nil, singleStep: Bool = false) throws -> BreakEvent {
    condition.lock()
    let before = halts.count
    condition.unlock()
    try kernel.sync { c throws(KernelError) in
      if let seconds {
        c.haltAt(virtualTime: c.virtualTime + UInt64(seconds * 10_000_000))
      } else {
        c.haltAt(virtualTime: nil)
      }
      try c.resume(singleStep: singleStep)
    }
    return try waitForHalt(after: before)
  }

  func waitForHalt(after count: Int) throws -> BreakEvent {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date(timeIntervalSinceNow: 300)  // a hang guard, not a timing assertion
    while halts.count <= count {
      guard condition.wait(until: deadline) else { throw HarnessError.noHalt }
    }
    return halts[count]
  }

  var haltCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return halts.count
  }

  func symbol(_ module: String, _ name: String) throws -> KernelSymbol {
    try kernel.sync { c throws(KernelError) in
      let base = c.modules().first { $0.name == module }!.base
      return c.symbols(moduleBase: base)!.first { $0.name == name }!
    }
  }

  func read(_ address: UInt32, _ count: Int) throws -> [UInt8] {
    try kernel.sync { c in c.readVirtual(address, count: count).bytes }
  }

  func readU32(_ address: UInt32) throws -> UInt32 {
    let b = try read(address, 4)
    return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
  }

  func writeU32(_ address: UInt32, _ v: UInt32) throws {
    _ = try kernel.sync { c in c.writeVirtual(address, [0, 8, 16, 24].map { UInt8(v >> $0 & 0xff) }) }
  }

  func nt(_ name: String) throws -> UInt32 { try symbol("nt", name).address }

  /// nt!PoolTrackTable as the debugger would read it: tag -> (np allocs, np frees, np bytes, p allocs, p frees, p bytes).
  func trackTable() throws -> [String: [UInt32]] {
    let table = try readU32(try nt("PoolTrackTable"))
    let size = try readU32(try nt("PoolTrackTableSize"))
    guard table != 0 else { return [:] }
    let bytes = try read(table, Int(size) * 28)
    var out: [String: [UInt32]] = [:]
    for i in 0..<Int(size) {
      let e = Array(bytes[i * 28..<i * 28 + 28])
      let v = (0..<7).map { k in (0..<4).reduce(UInt32(0)) { $0 | UInt32(e[k * 4 + $1]) << (8 * UInt32($1)) } }
      guard v[0] != 0 else { continue }
      out[tagString(v[0])] = Array(v[1...])
    }
    return out
  }
}

enum HarnessError: Error { case noHalt }

func tagString(_ tag: UInt32) -> String {
  String(decoding: [0, 8, 16, 24].map { UInt8(tag >> $0 & 0xff) }, as: UTF8.self)
}

func tagValue(_ s: String) -> UInt32 {
  Array(s.utf8).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
}
