/// What `kd report` shows (ours): every figure was read from the target during one run, and each section names
/// the kd command that prints the same numbers. `ReportPage` turns it into HTML; nothing here does I/O.
struct LeakReport: Sendable {
  /// One point of a time series: virtual seconds since boot, and the value then.
  struct Point: Sendable, Equatable {
    var seconds: Double
    var value: Double
  }

  /// A line of a chart.
  struct Series: Sendable, Equatable {
    var name: String
    var points: [Point]
  }

  /// An allocating call site as `!poolsites` ranked it (its own structure: the page shows what it printed).
  typealias Site = PoolSites.Site

  /// A command as the report ran it at the break, and what it printed.
  struct Transcript: Sendable, Equatable {
    var command: String
    var lines: [String]
  }

  /// The target's version line (`Windows Server 2003 Kernel Version 3790 UP Free x86 compatible`).
  var targetDescription: String
  /// Where the target was: the embedded target or `HOST:PORT` over TLS.
  var connection: String
  /// How the report was asked for (the `kd report ...` command line).
  var commandLine: String
  /// Virtual seconds asked for.
  var requestedSeconds: Double
  /// Virtual time (seconds since boot) of the first and the last sample.
  var startSeconds: Double
  var endSeconds: Double
  /// Why the run ended before the time asked (Ctrl+C, the target stopped or went back in time), nil if it did not.
  var endedEarly: String?
  /// Pool bytes per tag and pool type over the run (PoolMon's Bytes column), the tags with the most bytes at the end.
  var tagBytes: [Series]
  /// Outstanding blocks per call site at the target's own samples (`!poolsites`' history), the ranked sites first.
  var siteBlocks: [Series]
  /// `!poolsites`' trend: windows and their length in seconds.
  var windows: Int
  var windowSeconds: Double
  var sites: [Site]
  var transcripts: [Transcript]

  var leakingSites: [Site] { sites.filter(\.leaking) }
}

extension PoolSites.Site {
  /// The stack as a flame graph stacks it: outermost caller first, the call site last.
  var stackFromRoot: [String] { ([name] + frames).reversed() }
}
