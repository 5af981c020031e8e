/// `bl`: ` 0 e 82b2f88c     0001 (0001) nt!ExAllocatePoolWithTag`; a processor breakpoint (`ba`) has its access
/// and size where a software one has spaces: ` 1 e 804da000 w 4 0001 (0001) nt!PoolHitTag`; an unresolved one
/// (`bu`) has `u` after its state, no address, and its expression in parentheses: ` 2 eu             0001 (0001) (Abc!Later)`.
enum BreakpointList: Command {
  static let names = ["bl"]
  static let summary = "bl   list breakpoints"

  struct Output: CommandOutput {
    struct Row: Codable, Sendable {
      var id: Int
      var enabled: Bool
      @HexString var address: UInt32
      var passes: Int
      var initialPasses: Int
      var symbol: String?
      var commands: String?
      /// `w`, `r` or `e` and the size, for a processor breakpoint.
      var access: DataBreakpointAccess?
      var size: UInt32?
      var unresolved = false
    }
    var rows: [Row]
    var lines: [String] {
      rows.map {
        let symbol = ($0.symbol.map { " " + $0 } ?? "") + ($0.commands.map { " \"\($0)\"" } ?? "")
        let kind = $0.access.map { " \($0.rawValue) " } ?? "     "
        let size = $0.size.map { "\($0) " } ?? ""
        let location = $0.unresolved ? "u        " : " " + Hex.d8($0.address)
        return "\(String($0.id).leftPadded(to: 2)) \($0.enabled ? "e" : "d")\(location)\(kind)\(size)"
          + "\(Hex.digits($0.passes, width: 4)) (\(Hex.digits($0.initialPasses, width: 4)))\(symbol)"
      }
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var rows: [Output.Row] = []
    for bp in session.breakpoints.values.sorted(by: { $0.id < $1.id }) {
      let symbol = bp.unresolved ? "(\(bp.expression))" : try session.describe(bp.address)
      rows.append(
        .init(
          id: bp.id, enabled: bp.enabled, address: bp.address, passes: bp.passes, initialPasses: bp.initialPasses,
          symbol: symbol, commands: bp.commands, access: bp.processor?.access,
          size: bp.processor?.size, unresolved: bp.unresolved))
    }
    return Output(rows: rows)
  }
}
