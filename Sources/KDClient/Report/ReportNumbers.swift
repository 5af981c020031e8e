/// How the report writes numbers for people: byte sizes for axes (exact counts go in the tables) and virtual
/// seconds with three decimals, as `!poolsites` writes them.
enum ReportNumbers {
  /// `0 B`, `512 B`, `1.5 KB`, `6.0 MB` (binary units).
  static func bytes(_ value: Double) -> String {
    guard value.isFinite else { return "?" }
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = value.magnitude
    var unit = 0
    while v >= 1024, unit < units.count - 1 {
      v /= 1024
      unit += 1
    }
    let sign = value < 0 ? "-" : ""
    if unit == 0 { return "\(sign)\(Int(v.rounded())) B" }
    let tenths = Int((v * 10).rounded())
    return "\(sign)\(tenths / 10).\(tenths % 10) \(units[unit])"
  }

  /// Seconds with three decimals (`59.094`).
  static func seconds(_ value: Double) -> String {
    guard value.isFinite, value.magnitude < 1e15 else { return "?" }
    let ms = Int64((value * 1000).rounded())
    let m = ms.magnitude
    let fraction = String(m % 1000)
    return (ms < 0 ? "-" : "") + "\(m / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }

  /// A count as is, or a tick value without needless decimals.
  static func plain(_ value: Double) -> String { HTMLText.number(value) }
}
