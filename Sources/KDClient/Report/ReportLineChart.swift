/// An SVG line chart of time series: x is virtual seconds, y starts at zero. Each series is a `polyline` whose
/// `data-series` and `data-points` say what it draws; a series of one sample is a dot. Names are escaped.
struct ReportLineChart: Sendable {
  var title: String
  /// The chart's `data-kind`, for whoever reads the page's DOM.
  var kind: String
  var yLabel: String
  var series: [LeakReport.Series]
  var yFormat: @Sendable (Double) -> String
  var width = 900.0
  var height = 320.0

  static let colors = [
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]

  private var plot: (left: Double, right: Double, top: Double, bottom: Double) {
    (left: 76, right: width - 230, top: 14, bottom: height - 44)
  }

  func svg() -> String {
    let p = plot
    let all = series.flatMap(\.points)
    let x = ReportScale(covering: all.map(\.seconds), includeZero: false, rounded: false, range: (p.left, p.right))
    let y = ReportScale(covering: all.map(\.value), includeZero: true, range: (p.bottom, p.top))
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-kind=\"\(HTMLText.escape(kind))\""
        + " data-series-count=\"\(series.count)\" width=\"\(HTMLText.number(width))\""
        + " height=\"\(HTMLText.number(height))\" viewBox=\"0 0 \(HTMLText.number(width)) \(HTMLText.number(height))\""
        + " role=\"img\" aria-label=\"\(HTMLText.escape(title))\">",
      "<title>\(HTMLText.escape(title))</title>",
    ]
    for t in y.ticks() {
      let py = HTMLText.number(y.map(t))
      out.append(
        "<line class=\"grid\" x1=\"\(HTMLText.number(p.left))\" x2=\"\(HTMLText.number(p.right))\" y1=\"\(py)\""
          + " y2=\"\(py)\"/><text class=\"tick\" x=\"\(HTMLText.number(p.left - 6))\" y=\"\(py)\""
          + " text-anchor=\"end\" dominant-baseline=\"middle\">\(HTMLText.escape(yFormat(t)))</text>")
    }
    for t in x.ticks(8) {
      let px = HTMLText.number(x.map(t))
      out.append(
        "<line class=\"axis\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(HTMLText.number(p.bottom))\""
          + " y2=\"\(HTMLText.number(p.bottom + 4))\"/><text class=\"tick\" x=\"\(px)\""
          + " y=\"\(HTMLText.number(p.bottom + 16))\" text-anchor=\"middle\">\(HTMLText.number(t))</text>")
    }
    out.append(
      "<line class=\"axis\" x1=\"\(HTMLText.number(p.left))\" x2=\"\(HTMLText.number(p.right))\""
        + " y1=\"\(HTMLText.number(p.bottom))\" y2=\"\(HTMLText.number(p.bottom))\"/>"
        + "<line class=\"axis\" x1=\"\(HTMLText.number(p.left))\" x2=\"\(HTMLText.number(p.left))\""
        + " y1=\"\(HTMLText.number(p.top))\" y2=\"\(HTMLText.number(p.bottom))\"/>")
    out.append(
      "<text class=\"label\" x=\"\(HTMLText.number((p.left + p.right) / 2))\" y=\"\(HTMLText.number(height - 6))\""
        + " text-anchor=\"middle\">virtual seconds since boot</text>"
        + "<text class=\"label\" x=\"12\" y=\"\(HTMLText.number((p.top + p.bottom) / 2))\" text-anchor=\"middle\""
        + " transform=\"rotate(-90 12 \(HTMLText.number((p.top + p.bottom) / 2)))\">\(HTMLText.escape(yLabel))</text>")
    if all.isEmpty {
      out.append(
        "<text class=\"empty\" x=\"\(HTMLText.number((p.left + p.right) / 2))\""
          + " y=\"\(HTMLText.number((p.top + p.bottom) / 2))\" text-anchor=\"middle\">no samples</text>")
    }
    for (i, s) in series.enumerated() {
      let color = Self.colors[i % Self.colors.count]
      let name = HTMLText.escape(s.name)
      let coordinates = s.points.map { "\(HTMLText.number(x.map($0.seconds))),\(HTMLText.number(y.map($0.value)))" }
      if s.points.count == 1, let only = s.points.first {
        out.append(
          "<circle class=\"series\" data-series=\"\(name)\" data-points=\"1\" cx=\"\(HTMLText.number(x.map(only.seconds)))\""
            + " cy=\"\(HTMLText.number(y.map(only.value)))\" r=\"3\" fill=\"\(color)\"><title>\(name)</title></circle>")
      } else if !coordinates.isEmpty {
        out.append(
          "<polyline class=\"series\" data-series=\"\(name)\" data-points=\"\(s.points.count)\" fill=\"none\""
            + " stroke=\"\(color)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\">"
            + "<title>\(name)</title></polyline>")
      }
      let ly = p.top + 6 + Double(i) * 20
      let last = s.points.last.map { " " + yFormat($0.value) } ?? ""
      out.append(
        "<rect x=\"\(HTMLText.number(p.right + 16))\" y=\"\(HTMLText.number(ly - 5))\" width=\"12\" height=\"10\""
          + " fill=\"\(color)\"/><text class=\"legend\" x=\"\(HTMLText.number(p.right + 34))\""
          + " y=\"\(HTMLText.number(ly))\" dominant-baseline=\"middle\">\(name)\(HTMLText.escape(last))</text>")
    }
    out.append("</svg>")
    return out.joined(separator: "\n")
  }
}
