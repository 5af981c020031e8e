/// `? expr`: `Evaluate expression: <signed decimal> = <hex>`. `?` alone lists the commands (as KD's help).
enum Evaluate: Command {
  static let names = ["?"]
  static let summary = "? Expression   evaluate an expression (? alone: command help)"

  struct Output: CommandOutput {
    @HexString var value: UInt64
    var decimal: Int64 { Int64(bitPattern: value) }
    var lines: [String] { ["Evaluate expression: \(decimal) = \(Hex.value(value))"] }
    enum CodingKeys: String, CodingKey { case value }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    if p.atEnd { return Help.output() }
    let v = try p.parse()
    try p.expectEnd()
    return Output(value: v)
  }
}
