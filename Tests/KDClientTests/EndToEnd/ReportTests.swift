import Foundation
import KDTestSupport
import Testing

/// `kd report` with the real binary, on the embedded target and on a real kdserver over TLS: the page it writes is
/// opened in a real headless Chromium (Debian's `chromium`), and the DOM Chromium built from it has the charts with
/// their data, the icicle graph, and names `Abc!AbcLogEvent` as the leaking site with the other two Abc sites
/// bounded, with the same bytes as the `!poolsites` transcript the page carries.
@Suite struct ReportTests {
  static let chromium: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"
  static let skipReason = Comment(
    rawValue: "chromium is not installed (Debian: apt-get install chromium, as scripts/install-deps.sh does); skipped"
      + " outside CI, a failure with CI=true")

  @Test(.enabled(if: chromium != nil || underCI, skipReason)) func embeddedTarget() throws {
    let dir = makeTemporaryDirectory("report")
    let r = run(
      builtExecutable("kd"), ["report", "--pace", "0", "--seconds", "300", "--out", dir + "/leak.html"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("leaking: Abc!AbcLogEvent+0x15 (tag Abc)"), "\(r.stdout)")
    try Self.check(dom: Self.render(dir + "/leak.html", in: dir))
  }

  @Test(.enabled(if: chromium != nil || underCI, skipReason)) func remoteKDServer() throws {
    let (server, port, fingerprint) = try KDServerProcess.start()
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let dir = makeTemporaryDirectory("report")
    let r = run(
      builtExecutable("kd"),
      [
        "report", "--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "--seconds", "300", "--out",
        dir + "/leak.html",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOfFile: dir + "/leak.html", encoding: .utf8)
    #expect(html.contains("kdserver at 127.0.0.1:\(port) over TLS"))
    try Self.check(dom: Self.render(dir + "/leak.html", in: dir))
  }

  @Test func reportHasNoJSONFormAndChecksItsArguments() {
    let json = run(builtExecutable("kd"), ["--json", "report", "--seconds", "1", "--out", "/nonexistent/x.html"])
    #expect(json.status == 64)
    #expect(json.stderr.contains("kd report writes an HTML file (--out); it has no JSON form"))
    let zero = run(builtExecutable("kd"), ["report", "--seconds", "0", "--out", "x.html"])
    #expect(zero.status == 64)
    #expect(zero.stderr.contains("--seconds takes 0.001 to 86400 (virtual seconds), got 0.0"))
    let unwritable = run(
      builtExecutable("kd"), ["report", "--pace", "0", "--seconds", "1", "--out", "/nonexistent/dir/x.html"])
    #expect(unwritable.status == 78)
    #expect(unwritable.stderr.contains("kd: cannot write '/nonexistent/dir/x.html'"))
  }

  /// The DOM headless Chromium built from the page (`--dump-dom`), from a profile of the test's own.
  static func render(_ path: String, in dir: String) throws -> String {
    let chromium = try #require(chromium, "CI=true, and chromium is not installed: scripts/install-deps.sh installs it")
    let r = run(
      "/usr/bin/timeout",
      [
        "120", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir)/profile",
        "--dump-dom", URL(fileURLWithPath: path).absoluteString,
      ])
    #expect(r.status == 0, "chromium: \(r.stderr.suffix(2000))")
    return r.stdout
  }

  static func check(dom: String) throws {
    // The tag chart: one polyline per top tag, the leaking tag's with every sample.
    let tagChart = try #require(element(dom, after: "data-kind=\"tag-bytes\"", until: "</svg>"))
    let abc = try #require(element(tagChart, after: "data-series=\"Abc  Paged\"", until: ">"))
    #expect((number(abc, "data-points=\"") ?? 0) >= 50, "\(abc)")
    #expect(tagChart.components(separatedBy: "<polyline").count - 1 >= 5)
    // The call-site chart, from the kernel's samples.
    let siteChart = try #require(element(dom, after: "data-kind=\"site-blocks\"", until: "</svg>"))
    let leakLine = try #require(element(siteChart, after: "data-series=\"Abc!AbcLogEvent+0x15 (Abc)\"", until: ">"))
    #expect((number(leakLine, "data-points=\"") ?? 0) >= 2)
    // The icicle: the leaking site's box, in red, with its bytes.
    let icicle = try #require(element(dom, after: "data-kind=\"outstanding-by-stack\"", until: "</svg>"))
    let box = try #require(element(icicle, after: "data-frame=\"Abc!AbcLogEvent+0x15\"", until: ">"))
    #expect(box.contains("data-leaking=\"true\""))
    let bytes = try #require(number(box, "data-bytes=\""))
    #expect(bytes > 0)
    // The same bytes as the `!poolsites` the report ran at its break.
    let row = try #require(dom.split(separator: "\n").first { $0.contains("LEAKING  Abc!AbcLogEvent+0x15") })
    #expect(row.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } == bytes, "\(row)")
    // The verdict names one site; the other two Abc sites are bounded.
    let verdict = try #require(element(dom, after: "class=\"verdict\"", until: "</div>"))
    #expect(verdict.contains("<strong class=\"site\">Abc!AbcLogEvent+0x15</strong>"))
    #expect(verdict.components(separatedBy: "class=\"site\"").count == 2)
    for bounded in ["Abc!AbcCacheInsert+0x13", "Abc!AbcBuildRequest+0x13"] {
      let tr = try #require(element(dom, before: "<pre class=\"stack\">" + bounded, from: "<tr class=\""))
      #expect(tr.hasPrefix("<tr class=\"bounded\""), "\(bounded): \(tr.prefix(40))")
    }
  }

  /// The text from `marker` up to the first `end` after it.
  static func element(_ text: String, after marker: String, until end: String) -> String? {
    guard let start = text.range(of: marker) else { return nil }
    let stop = text.range(of: end, range: start.upperBound..<text.endIndex)?.upperBound ?? text.endIndex
    return String(text[start.lowerBound..<stop])
  }

  /// The text from the last `opening` before the first `marker`, to the marker.
  static func element(_ text: String, before marker: String, from opening: String) -> String? {
    guard let at = text.range(of: marker),
      let start = text.range(of: opening, options: .backwards, range: text.startIndex..<at.lowerBound)
    else { return nil }
    return String(text[start.lowerBound..<at.upperBound])
  }

  static func number(_ text: String, _ prefix: String) -> Int? {
    guard let r = text.range(of: prefix) else { return nil }
    return Int(text[r.upperBound...].prefix { $0.isNumber })
  }
}
