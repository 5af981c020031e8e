/// A linear map from data values to SVG coordinates, with round tick values. Built from the values it has to
/// show: none, one, or all equal still give a usable (non-empty) domain, so nothing divides by zero.
struct ReportScale: Sendable, Equatable {
  var lower: Double
  var upper: Double
  var rangeStart: Double
  var rangeEnd: Double

  /// The domain covers `values` (and `0` when `includeZero`), widened to round tick steps when `rounded`;
  /// `range` is where it lands on the page (for a y axis, bottom first).
  init(covering values: [Double], includeZero: Bool, rounded: Bool = true, range: (Double, Double), tickCount: Int = 5)
  {
    let finite = values.filter(\.isFinite)
    var lo = finite.min() ?? 0
    var hi = finite.max() ?? 0
    if includeZero {
      lo = min(lo, 0)
      hi = max(hi, 0)
    }
    if hi - lo <= 0 {
      // One value, or all the same. With the zero floor that value is 0: show 0 to 1. Otherwise centre it.
      if includeZero {
        hi = 1
      } else {
        let pad = max(lo.magnitude, 1) / 2
        (lo, hi) = (lo - pad, hi + pad)
      }
    }
    let step = Self.niceStep((hi - lo) / Double(max(tickCount, 1)))
    lower = rounded ? (lo / step).rounded(.down) * step : lo
    upper = rounded ? (hi / step).rounded(.up) * step : hi
    if upper <= lower { upper = lower + step }
    rangeStart = range.0
    rangeEnd = range.1
  }

  /// Where `value` lands.
  func map(_ value: Double) -> Double {
    rangeStart + (value - lower) / (upper - lower) * (rangeEnd - rangeStart)
  }

  /// Round values from `lower` to `upper`, about `count` of them.
  func ticks(_ count: Int = 5) -> [Double] {
    let step = Self.niceStep((upper - lower) / Double(max(count, 1)))
    var out: [Double] = []
    var v = (lower / step).rounded(.up) * step
    while v <= upper + step / 1e6, out.count <= 4 * max(count, 1) {
      out.append(v.magnitude < step / 1e6 ? 0 : v)
      v += step
    }
    return out
  }

  /// 1, 2 or 5 times a power of ten, at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    guard raw.isFinite, raw > 0 else { return 1 }
    var power = 1.0
    while power * 10 <= raw { power *= 10 }
    while power > raw { power /= 10 }
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
    return step > 0 && step.isFinite ? step : 1
  }
}
