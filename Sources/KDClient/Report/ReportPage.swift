/// The report's HTML page: one self-contained file (inline CSS and SVG; no script, font, image or link to fetch),
/// every piece of text from the target escaped.
enum ReportPage {
  static func html(_ r: LeakReport) -> String {
    let e = HTMLText.escape
    let span = r.endSeconds - r.startSeconds
    var body: [String] = []
    body.append("<h1>Pool leak report <span class=\"ours\">(kd report, ours)</span></h1>")
    body.append(
      "<p class=\"run\">\(e(r.targetDescription)), \(e(r.connection)). Ran from \(ReportNumbers.seconds(r.startSeconds))"
        + " to \(ReportNumbers.seconds(r.endSeconds)) s of virtual time (\(ReportNumbers.seconds(span)) s;"
        + " \(ReportNumbers.seconds(r.requestedSeconds)) s asked\(r.endedEarly.map { ", " + e($0) } ?? ""))."
        + " Made with <code>\(e(r.commandLine))</code>.</p>")
    body.append(verdict(r))
    body += section(
      "Pool bytes per tag over time",
      "The tags with the most bytes at the end, per pool type: PoolMon's Bytes column, read from"
        + " <code>nt!PoolTrackTable</code> at each sample while the target ran; the last point is at the break."
        + " Reproduce: <code>kd poolmon</code> (its Bytes column) while it runs, <code>!poolused 4</code> at the"
        + " break (below).",
      ReportLineChart(
        title: "Pool bytes per tag", kind: "tag-bytes", yLabel: "bytes", series: r.tagBytes,
        yFormat: { ReportNumbers.bytes($0) }
      ).svg())
    body += section(
      "Outstanding blocks per call site",
      "The kernel's own samples of each site's outstanding blocks, every \(ReportNumbers.seconds(r.windowSeconds))"
        + " s of virtual time (the last 16): the history <code>!poolsites</code> reads its trend from.",
      ReportLineChart(
        title: "Outstanding blocks per call site", kind: "site-blocks", yLabel: "blocks", series: r.siteBlocks,
        yFormat: { ReportNumbers.plain($0) }
      ).svg())
    let tree = FlameTree(
      root: "all call sites",
      stacks: r.sites.map { (frames: $0.stackFromRoot, bytes: $0.outstandingBytes, leaking: $0.leaking) })
    body += section(
      "Outstanding bytes by allocation stack",
      "An icicle graph: the top row is every outstanding byte counted by call site, each row below one frame"
        + " nearer the allocation (the first stack seen from each site; nt's own allocations and sites past the"
        + " kernel's table have none). Red: a leaking site's stack. Hover for bytes. Reproduce:"
        + " <code>!poolsites</code>.", ReportIcicle(tree: tree).svg())
    body.append("<h2>Call sites, ranked</h2>")
    body.append(sitesTable(r))
    body.append("<h2>The commands behind the numbers</h2>")
    body.append(
      "<p>Run at the break that ended the report (<code>kd -c</code>, or the console, at the same point gives the"
        + " same lines):</p>")
    for t in r.transcripts {
      body.append("<pre class=\"transcript\">kd&gt; \(e(t.command))\n\(t.lines.map(e).joined(separator: "\n"))</pre>")
    }
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>Pool leak report: \(e(r.leakingSites.first?.name ?? "no leaking call site"))</title>
      <style>
      \(style)
      </style>
      </head>
      <body>
      \(body.joined(separator: "\n"))
      </body>
      </html>

      """
  }

  /// A heading, a paragraph (markup of ours; text from the target already escaped) and a picture.
  private static func section(_ heading: String, _ text: String, _ svg: String) -> [String] {
    ["<h2>\(heading)</h2>", "<p>\(text)</p>", svg]
  }

  private static func verdict(_ r: LeakReport) -> String {
    let e = HTMLText.escape
    let rule =
      "grew in every one of the last \(r.windows) windows of \(ReportNumbers.seconds(r.windowSeconds)) s"
    guard !r.leakingSites.isEmpty else {
      return "<p class=\"verdict none\">No call site \(rule).</p>"
    }
    let items = r.leakingSites.map { s in
      "<li><strong class=\"site\">\(e(s.name))</strong> (tag <code>\(e(s.tag))</code>): \(s.outstandingBlocks) blocks,"
        + " \(s.outstandingBytes) bytes outstanding; blocks gained per window: \(growthText(s.growth))</li>"
    }
    return "<div class=\"verdict\"><p>Leaking (the outstanding count \(rule)):</p><ul>\(items.joined())</ul></div>"
  }

  private static func sitesTable(_ r: LeakReport) -> String {
    let e = HTMLText.escape
    var rows = [
      "<table class=\"sites\"><thead><tr><th>#</th><th>Tag</th><th>Call site and stack</th><th>Trend</th>"
        + "<th>Blocks</th><th>Bytes</th><th>Allocs</th><th>Frees</th><th>Growth per window</th>"
        + "<th>Reproduce</th></tr></thead><tbody>"
    ]
    for (i, s) in r.sites.enumerated() {
      let trend = s.growth == nil ? "?" : s.leaking ? "LEAKING" : "bounded"
      let stack = ([s.name] + s.frames).map(e).joined(separator: "\n")
      rows.append(
        "<tr class=\"\(s.leaking ? "leaking" : "bounded")\"><td>\(i + 1)</td><td><code>\(e(s.tag))</code></td>"
          + "<td><pre class=\"stack\">\(stack)</pre></td><td>\(trend)</td><td class=\"n\">\(s.outstandingBlocks)</td>"
          + "<td class=\"n\">\(s.outstandingBytes)</td><td class=\"n\">\(s.allocations)</td><td class=\"n\">\(s.frees)</td>"
          + "<td>\(growthText(s.growth))</td><td><code>!poolsites \(e(s.tag.trimmingSpaces))</code></td></tr>")
    }
    if r.sites.isEmpty { rows.append("<tr><td colspan=\"10\">no outstanding allocations</td></tr>") }
    rows.append("</tbody></table>")
    return rows.joined(separator: "\n")
  }

  private static func growthText(_ growth: [Int64]?) -> String {
    guard let growth else { return "too little history" }
    return growth.map { $0 > 0 ? "+\($0)" : "\($0)" }.joined(separator: " ")
  }

  static let style = """
    body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
    h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
    .ours { font-weight: normal; color: #777; font-size: 15px; }
    code, pre { font: 12px/1.35 ui-monospace, monospace; }
    .verdict { background: #fdecea; border-left: 4px solid #d62728; padding: 4px 12px; }
    .verdict.none { background: #eaf4ea; border-color: #2ca02c; }
    svg text { font: 11px sans-serif; fill: #333; }
    svg .grid { stroke: #e4e4e4; } svg .axis { stroke: #888; }
    svg .label { font-size: 12px; fill: #555; }
    svg.icicle text { font: 11px ui-monospace, monospace; fill: #111; }
    table.sites { border-collapse: collapse; } table.sites td, table.sites th { border: 1px solid #ddd;
      padding: 3px 6px; vertical-align: top; text-align: left; }
    table.sites td.n { text-align: right; } tr.leaking td { background: #fdecea; }
    pre.stack { margin: 0; } pre.transcript { background: #f6f6f6; padding: 8px; overflow-x: auto; }
    """
}
