/// `!poolval Address [DisplayLevel]`: checks the block headers of the pool page holding `Address` (see
/// ``PoolValidation``) and reports as kdexts does: the region, `Validating Pool headers for pool page: …`,
/// `Pool page [ page ] is VALID.` or `is INVALID.` with `Analyzing linked list...`, one line per broken header
/// and `Scanning for single bit errors...`. Address 0 prints nothing, as in KD. DisplayLevel 0 only: the linked
/// lists and header dumps of levels 1-3 are not implemented (an error of ours says so).
enum PoolValidate: Command {
  static let names = ["!poolval"]
  static let summary = "!poolval Address [DisplayLevel]   check the pool headers of a page for corruption"

  struct Output: CommandOutput {
    @HexString var address: UInt32
    var region: String
    /// Nil when the page could not be read in full.
    var validation: PoolValidation?

    var lines: [String] {
      var out = [
        "Pool page \(Hex.d8(address)) region is \(region)", "",
        "Validating Pool headers for pool page: \(Hex.d8(address))",
      ]
      guard let validation else { return out + ["", "Failed to diagnose pool page", ""] }
      out += validation.lines
      return out
    }
    enum CodingKeys: String, CodingKey { case address, region, validation }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    let address = try p.parseAddress()
    var level: UInt64 = 0
    if !p.atEnd {
      let at = p.position
      level = try p.parse()
      guard level <= 3 else { throw .syntax(position: at) }
    }
    try p.expectEnd()
    guard level == 0 else {
      throw .message("!poolval display levels 1-3 (linked lists, header dumps) are not implemented; use level 0")
    }
    guard address != 0 else { return TextOutput() }
    let region = try PoolData.regionName(session, address)
    let page = address & ~0xfff
    let bytes = try session.targetCall { () throws(TargetError) in try session.target.readVirtual(page, count: 0x1000) }
    let validation = bytes.count == 0x1000 ? PoolValidation(page: page, bytes: bytes) : nil
    return Output(address: address, region: region, validation: validation)
  }
}
