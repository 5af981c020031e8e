import Foundation

/// Runs the target for a span of virtual time and collects a `LeakReport` (the I/O half of `kd report`; the page
/// is `ReportPage`'s). While the target runs it reads nt!PoolTrackTable (as `kd poolmon` does) each time the
/// target's clock (KUSER_SHARED_DATA's InterruptTime) passes the next sample time; then it breaks in, reads the
/// table once more, and runs `!poolsites` and `!poolused 4`, whose call sites, stacks and numbers the page shows
/// (the call-site history comes from the same GetPoolSites answer, the kernel's own samples). A target that was
/// running when attached is let run again afterwards; a halted one is left halted at the report's break.
struct LeakReportRecorder {
  /// Virtual seconds to run.
  var seconds: Double
  /// Samples of the tag table over the run (the first at the start, then evenly spaced; the break adds one).
  var samples: Int
  /// Tags (per pool type) and call sites drawn over time.
  var topTags: Int
  var topSites: Int
  /// How the recorder waits between reads of the target's clock (injected by tests).
  var pause: (Duration) -> Void = {
    Thread.sleep(forTimeInterval: Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18)
  }
  /// Polled between reads: true ends the run early (Ctrl+C).
  var interrupted: () -> Bool = { false }

  enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    case target(TargetError)
    case command(String, error: String)
    case noClock
    case noBreak

    var description: String {
      switch self {
      case .target(let e): "\(e)"
      case .command(let c, let error): "'\(c)' failed: \(error)"
      case .noClock:
        "the target's clock (KUSER_SHARED_DATA InterruptTime at 0xffdf0008) cannot be read, so virtual time"
          + " cannot be measured"
      case .noBreak: "the target did not break in within 10 s"
      }
    }
  }

  /// One reading of the tag table.
  private struct TagSample {
    var time: UInt64
    var bytes: [String: UInt32]
  }

  func record(_ debugger: Debugger, connection: String, commandLine: String) throws(Failure) -> LeakReport {
    let target = debugger.target
    let version: TargetVersion
    do { version = try target.version() } catch { throw .target(error) }
    let wasRunning = !target.state.isHalted
    if !wasRunning { try resume(debugger) }
    var mon = PoolMon()
    // A first read finds nt!PoolTrackTable (symbols, modules): done before the clock starts, so that the first
    // sample is taken at the start.
    _ = try sample(debugger, &mon)
    guard let start = SystemIdentity.interruptTime(from: target) else { throw .noClock }
    let span = UInt64((seconds * 1e7).rounded())
    let step = max(span / UInt64(max(samples - 1, 1)), 1)
    var taken: [TagSample] = []
    var next = start
    var early: String?
    var last = start
    let clock = ContinuousClock()
    var first: (wall: ContinuousClock.Instant, virtual: UInt64)?
    while true {
      guard let now = SystemIdentity.interruptTime(from: target) else { throw .noClock }
      if now >= start &+ span { break }
      if interrupted() {
        early = "ended early by Ctrl+C"
        break
      }
      if target.state.isHalted {
        early = "ended early: the target stopped by itself (a breakpoint, an exception or a bug check)"
        break
      }
      if now < last {
        early = "ended early: the target's clock went back (a reboot)"
        break
      }
      last = now
      if now >= next {
        taken.append(try sample(debugger, &mon))
        next = start + (now - start) / step * step + step
        continue
      }
      // Sleep about half of what the target still needs to reach the next sample, at its observed pace.
      let wall = clock.now
      if first == nil { first = (wall, now) }
      var wait = Duration.milliseconds(10)
      if let f = first, now > f.virtual {
        let perVirtual = (wall - f.wall) / Double(now - f.virtual)
        wait = min(max(perVirtual * (Double(next - now) / 2), .milliseconds(1)), .milliseconds(50))
      }
      pause(wait)
    }
    // A target that stopped by itself is left stopped there (whoever set the breakpoint wants it).
    let stoppedByItself = target.state.isHalted
    if !stoppedByItself {
      let stopped: CommandResult?
      do { stopped = try debugger.breakIn() } catch {
        guard case .notRunning = error else { throw .target(error) }
        stopped = nil  // it stopped by itself just now
      }
      guard stopped != nil || target.state.isHalted else { throw .noBreak }
    }
    taken.append(try sample(debugger, &mon))
    let (sitesCommand, listing) = try run("!poolsites", debugger, as: PoolSites.Listing.self)
    let (usedCommand, _) = try run("!poolused 4", debugger, as: PoolUsed.Output.self)
    let raw: PoolSiteListing
    do { raw = try target.poolSites() } catch { throw .target(error) }
    if wasRunning && !stoppedByItself { try resume(debugger) }
    return LeakReport(
      targetDescription: "Windows \(version.build >= 3790 ? "Server 2003" : "XP") Kernel Version \(version.build)"
        + " \(version.processors > 1 ? "MP" : "UP") x86",
      connection: connection, commandLine: commandLine, requestedSeconds: seconds,
      startSeconds: Double(taken.first?.time ?? start) / 1e7, endSeconds: Double(taken.last?.time ?? start) / 1e7,
      endedEarly: early, tagBytes: tagSeries(taken), siteBlocks: siteSeries(listing, raw),
      windows: listing.windows, windowSeconds: listing.windowSeconds,
      sites: listing.sites,
      transcripts: [sitesCommand, usedCommand])
  }

  private func resume(_ debugger: Debugger) throws(Failure) {
    do { try debugger.resumeDetached() } catch {
      if case .target(let t) = error { throw .target(t) }
      throw .command("g", error: error.render(line: "g", promptWidth: 0))
    }
  }

  private func sample(_ debugger: Debugger, _ mon: inout PoolMon) throws(Failure) -> TagSample {
    let view: PoolMonView
    do { view = try debugger.poolSnapshot(&mon) } catch {
      if case .target(let t) = error { throw .target(t) }
      throw .command("poolmon", error: error.render(line: "poolmon", promptWidth: 0))
    }
    guard let time = view.targetTime else { throw .noClock }
    var bytes: [String: UInt32] = [:]
    for row in view.rows { bytes[Self.seriesName(tag: row.tag, paged: row.paged)] = row.counters.bytes }
    return TagSample(time: time, bytes: bytes)
  }

  static func seriesName(tag: String, paged: Bool) -> String { "\(tag) \(paged ? "Paged" : "Nonp")" }

  /// Runs one command at the break; its text goes in the report as the command's transcript.
  private func run<Output>(_ command: String, _ debugger: Debugger, as: Output.Type) throws(Failure)
    -> (LeakReport.Transcript, Output)
  {
    guard let result = debugger.run(command).first else { throw .command(command, error: "no result") }
    if let failure = result.failure, case .target(let t) = failure { throw .target(t) }
    guard let output = result.output as? Output, let text = result.output?.lines else {
      throw .command(command, error: result.error ?? "unexpected output")
    }
    return (LeakReport.Transcript(command: command, lines: text), output)
  }

  /// The tags with the most bytes at the last sample, each over every sample (0 before its first allocation).
  private func tagSeries(_ taken: [TagSample]) -> [LeakReport.Series] {
    guard let last = taken.last else { return [] }
    let top = last.bytes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(topTags).map(\.key)
    return top.map { key in
      LeakReport.Series(
        name: key,
        points: taken.map { LeakReport.Point(seconds: Double($0.time) / 1e7, value: Double($0.bytes[key] ?? 0)) })
    }
  }

  /// The first `topSites` ranked sites' outstanding blocks at the kernel's samples.
  private func siteSeries(_ listing: PoolSites.Listing, _ raw: PoolSiteListing) -> [LeakReport.Series] {
    listing.sites.prefix(topSites).compactMap { site in
      guard
        let record = raw.sites.first(where: { $0.callSite == site.callSite && Ascii.tag($0.tag) == site.tag }),
        !record.history.isEmpty
      else { return nil }
      let times = raw.sampleTimes.suffix(record.history.count)
      return LeakReport.Series(
        name: "\(site.name) (\(site.tag.trimmingSpaces))",
        points: zip(times, record.history).map { LeakReport.Point(seconds: Double($0) / 1e7, value: Double($1)) })
    }
  }
}
