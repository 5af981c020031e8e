/// `eb ew ed eq` (values are expressions: `ed nt!poolhittag ' cbA'` stores 41 62 63 20) and
/// `ea eza` (a double-quoted string, without / with its NUL). Silent on success, as KD.
enum EnterValues: Command {
  static let names = ["eb", "ew", "ed", "eq", "ea", "eza"]
  static let summary = "e{b|w|d|q} Address Values   e{a|za} Address \"String\"   enter values"

  struct Output: CommandOutput {
    @HexString var address: UInt32
    var bytes: [UInt8]
    var lines: [String] { [] }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    let format = inv.name.lowercased()
    var p = inv.parser(session)
    let address = try p.parseAddress()
    var bytes: [UInt8] = []
    if format == "ea" || format == "eza" {
      bytes = try p.parseQuotedASCII()
      if format == "eza" { bytes.append(0) }
      try p.expectEnd()
    } else {
      let size = ["eb": 1, "ew": 2, "ed": 4, "eq": 8][format] ?? 4
      while !p.atEnd {
        let at = p.position
        let v = try p.parse()
        // A value must fit the unit (sign-extended 32-bit values fit a dword).
        let fits: Bool =
          switch size {
          case 1: v <= 0xff || Int64(bitPattern: v) >= -0x80
          case 2: v <= 0xffff || Int64(bitPattern: v) >= -0x8000
          case 4: v <= 0xffff_ffff || Int64(bitPattern: v) >= -0x8000_0000
          default: true
          }
        guard fits else { throw .syntax(position: at) }
        bytes.append(contentsOf: littleEndianBytes(v, size: size))
      }
      guard !bytes.isEmpty else { throw .syntax(position: p.position) }
    }
    let written = try session.targetCall { () throws(TargetError) in try session.target.writeVirtual(address, bytes) }
    guard written == bytes.count else {
      throw .message("Memory access error at '\(Hex.d8(address &+ UInt32(written)))'")
    }
    return Output(address: address, bytes: bytes)
  }
}
