/// `bench [--quick] [--only NAME]...`; the server roles are internal (this executable starting itself).
struct Options {
  static let groups = ["gdb", "tls", "kernel", "sites", "scan", "scale", "memory", "script"]
  static let usage = """
    usage: swift run -c release bench [--quick] [--only NAME]...
      --quick      smaller counts (under a minute)
      --only NAME  run only NAME (repeatable): \(groups.joined(separator: ", "))
    """

  enum Role { case benchmarks, kdServer, tlsEcho, tcpEcho }

  var role = Role.benchmarks
  var quick = false
  var only: Set<String> = []

  init(_ arguments: [String]) throws {
    var rest = arguments[...]
    while let a = rest.popFirst() {
      switch a {
      case "--quick": quick = true
      case "--only":
        guard let name = rest.popFirst(), Self.groups.contains(name) else { throw BenchError.failed(Self.usage) }
        only.insert(name)
      case "--serve-kd": role = .kdServer
      case "--serve-tls-echo": role = .tlsEcho
      case "--serve-tcp-echo": role = .tcpEcho
      default: throw BenchError.failed(Self.usage)
      }
    }
  }

  func wants(_ group: String) -> Bool { only.isEmpty || only.contains(group) }

  /// Sizes of each measurement: full run, or `--quick`.
  var bulkBytes: Int { quick ? 4 << 20 : 16 << 20 }
  var roundTrips: Int { quick ? 500 : 2000 }
  var hits: Int { quick ? 300 : 2000 }
  var scriptBreaks: Int { quick ? 1000 : 10_000 }
  var liveCounts: [Int] { quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000] }
  /// Seconds the driver may take to reach each live-block count.
  var scaleBudget: Double { quick ? 10 : 60 }
  var kernelSeconds: Double { quick ? 0.3 : 1.0 }
  var kernelRounds: Int { quick ? 2 : 3 }
}
