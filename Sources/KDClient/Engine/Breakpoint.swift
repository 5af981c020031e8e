/// A debugger breakpoint: KD's ID, where, whether enabled, and the target's handle while enabled.
struct Breakpoint: Sendable, Equatable, Encodable {
  var id: Int
  var address: UInt32
  /// The expression as typed, for `bl`'s symbol column when it was symbolic.
  var expression: String
  var enabled: Bool
  var passes: Int
  var initialPasses: Int
  /// `;`-separated commands run at each hit (`"kb; g"`).
  var commands: String?
  var handle: UInt32?
}
