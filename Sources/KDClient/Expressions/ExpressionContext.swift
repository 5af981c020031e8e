/// What an expression may ask of the session: symbols, registers, memory.
protocol ExpressionContext: AnyObject {
  /// Address of `module!symbol`, `symbol` (searched in every module) or a bare module name; nil when unknown.
  func resolveSymbol(_ name: String) throws(CommandError) -> UInt32?
  /// Value of a register or pseudo-register (`$ip`); nil when unknown.
  func registerValue(_ name: String) throws(CommandError) -> UInt32?
  /// `size` bytes at `address`, little-endian; nil when unreadable.
  func readInteger(_ address: UInt32, size: Int) throws(CommandError) -> UInt64?
}
