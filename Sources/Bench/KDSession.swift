import Foundation
import KDClient

/// A kd client attached to a `bench --serve-kd` child: the debugger engine plus the raw target, and the
/// symbols of the `bench` scenario's workload switches.
final class KDSession {
  let child: ChildProcess
  let connector: KDServerChild.Connector
  let target: RemoteTarget
  let debugger: Debugger

  init() throws {
    (child, connector) = try KDServerChild.start()
    target = try connector.connect()
    debugger = Debugger(target: target)
  }

  deinit {
    target.connection.detach()
    child.stop()
  }

  /// Gives up the controller role (so a gdb client can take it); the session is not used afterwards.
  func detach() { target.connection.detach() }

  /// Runs one command line; its text. Throws when a command fails.
  @discardableResult
  func command(_ line: String) throws -> String {
    let results = debugger.run(line)
    if let bad = results.first(where: { !$0.succeeded }) {
      throw BenchError.failed("kd> \(line): \(bad.error ?? "failed")")
    }
    return results.map(\.text).joined()
  }

  /// The value of a KD expression (`? expr` prints `Evaluate expression: D = H`).
  func evaluate(_ expression: String) throws -> UInt32 {
    let text = try command("? \(expression)")
    guard let equals = text.range(of: "= "),
      let value = UInt32(text[equals.upperBound...].prefix { $0.isHexDigit }, radix: 16)
    else { throw BenchError.failed("? \(expression) printed '\(text)'") }
    return value
  }

  func read32(_ address: UInt32) throws -> UInt32 {
    let bytes = try target.readVirtual(address, count: 4)
    guard bytes.count == 4 else { throw BenchError.failed("cannot read \(String(address, radix: 16))") }
    return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }

  func write32(_ address: UInt32, _ value: UInt32) throws {
    _ = try target.writeVirtual(address, withUnsafeBytes(of: value.littleEndian) { Array($0) })
  }

  /// Polls `address` until `done(value)` or `limit` seconds pass; the last value.
  func poll(_ address: UInt32, limit: Double, until done: (UInt32) -> Bool) throws -> UInt32 {
    let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
    var value = try read32(address)
    while !done(value) && ContinuousClock.now < deadline {
      usleep(20_000)
      value = try read32(address)
    }
    return value
  }

  /// Bytes mapped from `start` on (probed a MiB at a time): how far a pool scan from `start` reads.
  func mappedBytes(from start: UInt32) throws -> Int {
    var size = 0
    while size < 0x1000_0000, try target.readVirtual(start &+ UInt32(size), count: 1).count == 1 { size += 1 << 20 }
    return size
  }
}

/// The `bench` scenario's workload modes (Bnch.c).
enum BenchMode: UInt32 {
  case idle = 0, spin, pool, live, ballast
}
