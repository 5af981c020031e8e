import Foundation

/// A tag tracepoint's events written for other tools (ours; `!pooltrace save`): folded stacks, as flamegraph.pl,
/// speedscope and inferno read them, and Chrome's trace-event JSON, as Perfetto and chrome://tracing open it.
enum PoolTraceExport {
  /// `root;...;leaf count` per allocation stack, root first, frames as `module!function` (offsets dropped so one
  /// function is one box), weighted by allocations; sorted. `name` turns a return address into its symbol.
  static func folded(_ events: [PoolTraceEvent], name: (UInt32) throws(CommandError) -> String) throws(CommandError)
    -> [String]
  {
    var counts: [String: Int] = [:]
    for e in events where e.kind == .allocation && !e.frames.isEmpty {
      var path: [String] = []
      for f in e.frames.reversed() { path.append(try function(name(f))) }
      counts[path.joined(separator: ";"), default: 0] += 1
    }
    return counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
  }

  /// `module!symbol+0x1a` without its offset.
  static func function(_ symbol: String) -> String {
    guard let plus = symbol.lastIndex(of: "+"), symbol[symbol.index(after: plus)...].hasPrefix("0x") else {
      return symbol
    }
    return String(symbol[..<plus])
  }

  struct ChromeTrace: Encodable {
    struct Event: Encodable {
      struct Args: Encodable {
        var name: String?
        var address: String?
        var size: UInt32?
        var pool: String?
        var sequence: UInt64?
        var stack: [String]?
        var bytes: Int64?
      }
      var name: String
      var cat: String?
      var ph: String
      var s: String?
      /// Microseconds of virtual time.
      var ts: Double
      var pid: Int
      var tid: UInt32?
      var args: Args
    }
    var displayTimeUnit = "ms"
    var traceEvents: [Event]
  }

  /// One instant event per allocation and free on its thread's track (`alloc Abc `, `free Abc `, with address,
  /// size, pool and stack), and a counter per tag: bytes outstanding of the blocks allocated during the trace
  /// (a free of an earlier block does not move it).
  static func chrome(_ events: [PoolTraceEvent], name: (UInt32) throws(CommandError) -> String) throws(CommandError)
    -> Data
  {
    var out: [ChromeTrace.Event] = []
    for thread in Set(events.map(\.thread)).sorted() {
      out.append(.init(name: "thread_name", ph: "M", ts: 0, pid: 1, tid: thread, args: .init(name: "thread \(thread)")))
    }
    var live: [UInt32: (tag: UInt32, size: UInt32)] = [:]
    var outstanding: [UInt32: Int64] = [:]
    for e in events {
      let tag = Ascii.tag(e.tag)
      var stack: [String] = []
      for f in e.frames { stack.append(try name(f)) }
      let ts = Double(e.time) / 10
      out.append(
        .init(
          name: "\(e.kind == .allocation ? "alloc" : "free") \(tag)", cat: "pool", ph: "i", s: "t", ts: ts, pid: 1,
          tid: e.thread,
          args: .init(
            address: Hex.d8(e.address), size: e.size, pool: e.paged ? "Paged" : "NonPaged", sequence: e.sequence,
            stack: stack)))
      let before = outstanding
      switch e.kind {
      case .allocation:
        live[e.address] = (e.tag, e.size)
        outstanding[e.tag, default: 0] += Int64(e.size)
      case .free:
        if let block = live.removeValue(forKey: e.address) { outstanding[block.tag, default: 0] -= Int64(block.size) }
      }
      for (t, bytes) in outstanding where before[t] != bytes {
        out.append(
          .init(
            name: "\(Ascii.tag(t)) outstanding bytes", ph: "C", ts: ts, pid: 1, args: .init(bytes: bytes)))
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
      return try encoder.encode(ChromeTrace(traceEvents: out))
    } catch {
      throw .message("cannot encode the trace as JSON: \(error)")
    }
  }
}
