/// `ln Address`: the nearest symbols before and after an address, each with its own address (KD:
/// `(804d8000)   nt!ExAllocatePoolWithTag+0x16   |  (804d8020)   nt!ExFreePoolWithTag`).
enum ListNearest: Command {
  static let names = ["ln"]
  static let summary = "ln Address   list the nearest symbols"

  struct Output: CommandOutput {
    @HexString var address: UInt32
    var before: String?
    @HexString var beforeAddress: UInt32?
    var after: String?
    @HexString var afterAddress: UInt32?
    var exact: Bool

    var lines: [String] {
      guard let before, let beforeAddress else { return [] }
      var line = "(\(Hex.d8(beforeAddress)))   \(before)"
      if let after, let afterAddress { line += "   |  (\(Hex.d8(afterAddress)))   \(after)" }
      var out = [line]
      if exact {
        out.append("Exact matches:")
        out.append("    \(before) = <no type information>")
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    let a = try p.atEnd ? session.currentContext().eip : p.parseAddress()
    try p.expectEnd()
    _ = try session.describe(a)
    guard let near = session.symbols.nearest(a) else { return Output(address: a, exact: false) }
    let m = near.module
    let beforeAddress = near.symbol?.address ?? m.base
    let beforeName = SymbolTable.spell(m.name, near.symbol?.name, 0)
    return Output(
      address: a, before: beforeName + (a == beforeAddress ? "" : "+0x" + String(a - beforeAddress, radix: 16)),
      beforeAddress: beforeAddress, after: near.next.map { SymbolTable.spell(m.name, $0.name, 0) },
      afterAddress: near.next?.address, exact: a == beforeAddress && near.symbol != nil)
  }
}
