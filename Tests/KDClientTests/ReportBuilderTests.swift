import Foundation
import Testing

@testable import KDClient

/// The HTML and SVG builders of `kd report` (model in, text out): escaping of everything from the target, scales
/// with no, one and equal samples, the flame tree's merging, and a page with nothing to fetch.
@Suite struct ReportBuilderTests {
  static let hostile = "<script>alert('x')</script>&\"\u{1}"

  @Test func escapingCoversMarkupQuotesAndControlCharacters() {
    #expect(
      HTMLText.escape(Self.hostile)
        == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{FFFD}")
    #expect(HTMLText.escape("Abc!AbcLogEvent+0x15\tok\n") == "Abc!AbcLogEvent+0x15\tok\n")
    #expect(HTMLText.escape("\u{85}é") == "\u{FFFD}é")
  }

  @Test func numbersForAttributesHaveNoExponentNorNegativeZero() {
    #expect(HTMLText.number(0) == "0")
    #expect(HTMLText.number(-0.001) == "0")
    #expect(HTMLText.number(12.5) == "12.5")
    #expect(HTMLText.number(3.14159) == "3.14")
    #expect(HTMLText.number(1.05) == "1.05")
    #expect(HTMLText.number(-7) == "-7")
    #expect(HTMLText.number(.infinity) == "0")
    #expect(HTMLText.number(1e300) == "0")
  }

  @Test func scaleWithoutSamplesIsZeroToOne() {
    let s = ReportScale(covering: [], includeZero: true, range: (300, 10))
    #expect(s.lower == 0 && s.upper == 1)
    #expect(s.map(0) == 300)
    #expect(s.map(1) == 10)
    #expect(s.ticks().first == 0 && s.ticks().last == 1)
  }

  @Test func scaleWithOneSampleCentresIt() {
    let x = ReportScale(covering: [42], includeZero: false, rounded: false, range: (0, 100))
    #expect(x.lower < 42 && x.upper > 42)
    #expect(x.map(42) == 50)
    let y = ReportScale(covering: [4096], includeZero: true, range: (100, 0))
    #expect(y.lower == 0 && y.upper >= 4096)
    #expect(y.map(4096).isFinite && y.map(4096) >= 0 && y.map(4096) < 100)
  }

  @Test func scaleOfEqualZerosAndRoundTicks() {
    let y = ReportScale(covering: [0, 0, 0], includeZero: true, range: (100, 0))
    #expect(y.upper > y.lower)
    #expect(y.map(0) == 100)
    let z = ReportScale(covering: [0, 7_383_080], includeZero: true, range: (0, 1))
    #expect(z.ticks() == [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000])
    #expect(ReportScale.niceStep(0) == 1)
    #expect(ReportScale.niceStep(.nan) == 1)
    #expect(ReportScale.niceStep(0.3) == 0.5)
    #expect(ReportScale.niceStep(130) == 200)
  }

  @Test func chartWithoutSamplesSaysSo() {
    let svg = chart([LeakReport.Series(name: "Abc  Paged", points: [])]).svg()
    #expect(svg.contains("no samples"))
    #expect(!svg.contains("<polyline"))
    #expect(!svg.contains("NaN") && !svg.contains("inf"))
  }

  @Test func chartWithOneSampleDrawsADot() {
    let svg = chart([LeakReport.Series(name: "Abc  Paged", points: [.init(seconds: 5, value: 1024)])]).svg()
    #expect(svg.contains("<circle class=\"series\" data-series=\"Abc  Paged\" data-points=\"1\""))
    #expect(!svg.contains("<polyline"))
    #expect(!svg.contains("NaN"))
  }

  @Test func chartDrawsEachSeriesAsAPolylineInsideThePlot() throws {
    let points = (0..<5).map { LeakReport.Point(seconds: 10 + Double($0) * 5, value: Double($0) * 1000) }
    let svg = chart([LeakReport.Series(name: Self.hostile, points: points)]).svg()
    #expect(!svg.contains("<script>"))
    #expect(svg.contains("data-series=\"&lt;script&gt;"))
    let line = try #require(svg.split(separator: "\n").first { $0.hasPrefix("<polyline") })
    #expect(line.contains("data-points=\"5\""))
    let pointsAttribute = try #require(line.split(separator: "points=\"").last?.split(separator: "\"").first)
    let xy = pointsAttribute.split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
    #expect(xy.count == 5)
    // x from the plot's left edge to its right, y from the bottom (0 bytes) upwards.
    #expect(xy.first?[0] == 76.0 && xy.last?[0] == 670.0)
    #expect(xy.first?[1] == 276.0)
    #expect(xy.allSatisfy { $0[1] >= 14 && $0[1] <= 276 })
  }

  @Test func flameTreeMergesSharedFramesAndSortsByBytes() {
    let tree = FlameTree(
      root: "all",
      stacks: [
        (frames: ["nt!Start", "A!Worker", "A!Leak"], bytes: 700, leaking: true),
        (frames: ["nt!Start", "A!Worker", "A!Cache"], bytes: 100, leaking: false),
        (frames: ["nt!Start", "B!Worker"], bytes: 200, leaking: false),
        (frames: ["nt!Other"], bytes: 0, leaking: false),
      ])
    #expect(tree.bytes == 1000)
    #expect(tree.children.map(\.name) == ["nt!Start"])
    #expect(tree.children[0].children.map(\.name) == ["A!Worker", "B!Worker"])
    #expect(tree.children[0].children[0].bytes == 800)
    #expect(tree.children[0].children[0].leaking)
    #expect(!tree.children[0].children[1].leaking)
    #expect(tree.children[0].children[0].children.map(\.name) == ["A!Leak", "A!Cache"])
    #expect(tree.depth == 3)
  }

  @Test func icicleWidthsFollowBytesAndNamesAreEscaped() {
    let tree = FlameTree(
      root: "all",
      stacks: [
        (frames: ["nt!Start", Self.hostile], bytes: 750, leaking: true),
        (frames: ["nt!Start", "B!Worker"], bytes: 250, leaking: false),
      ])
    let svg = ReportIcicle(tree: tree, width: 1000).svg()
    #expect(!svg.contains("<script>"))
    #expect(svg.contains("data-frame=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{FFFD}\""))
    #expect(svg.contains("data-bytes=\"750\" data-leaking=\"true\""))
    #expect(svg.contains("<rect x=\"750\" y=\"44\" width=\"249\""))
    #expect(svg.contains("<rect x=\"0\" y=\"44\" width=\"749\""))
    #expect(svg.contains("height=\"66\""))
  }

  @Test func icicleOfNothingIsOneRow() {
    let svg = ReportIcicle(tree: FlameTree(root: "all", stacks: [])).svg()
    #expect(svg.contains("data-bytes=\"0\""))
    #expect(svg.contains("height=\"22\""))
    #expect(!svg.contains("NaN"))
  }

  @Test func pageIsSelfContainedAndEscapesTheTarget() {
    let site = LeakReport.Site(
      callSite: 0x8000_1000, tag: "<b> ", subTag: nil, name: Self.hostile, frames: ["nt!Start"], outstandingBlocks: 3,
      outstandingBytes: 300, allocations: 3, frees: 0, growth: [1, 1, 1, 1], leaking: true)
    let report = LeakReport(
      targetDescription: "Windows XP", connection: "the embedded target", commandLine: "kd report --out '<x>'",
      requestedSeconds: 1, startSeconds: 0, endSeconds: 1, endedEarly: nil,
      tagBytes: [LeakReport.Series(name: "<b>  Paged", points: [.init(seconds: 0, value: 1)])], siteBlocks: [],
      windows: 4, windowSeconds: 5, sites: [site],
      transcripts: [LeakReport.Transcript(command: "!poolsites", lines: ["</pre><script>x</script>"])])
    let html = ReportPage.html(report)
    #expect(!html.contains("<script"))
    #expect(!html.contains("<b>"))
    for fetch in ["src=", "href=", "url(", "@import", "<link", "<img", "<iframe"] {
      #expect(!html.contains(fetch), "the page fetches nothing: \(fetch)")
    }
    #expect(html.contains("&lt;script&gt;alert"))
    #expect(html.contains("class=\"verdict\""))
    #expect(html.components(separatedBy: "<svg").count == 4)
  }

  private func chart(_ series: [LeakReport.Series]) -> ReportLineChart {
    ReportLineChart(
      title: "t", kind: "tag-bytes", yLabel: "bytes", series: series, yFormat: { ReportNumbers.bytes($0) })
  }
}
