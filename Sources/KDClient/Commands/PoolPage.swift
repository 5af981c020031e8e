/// `!pool Address [Flags]`: every block header of the page holding `Address`, the containing block marked
/// with `*`. Flags: 2 = only the containing block. Big-page allocations come from the big-page table. A page
/// whose header chain does not check out (``PoolPageWalk``) gets KD's lines for an address that is not pool.
enum PoolPage: Command {
  static let names = ["!pool"]
  static let summary = "!pool Address [Flags]   the pool page (block headers) holding an address"

  struct Output: CommandOutput {
    @HexString var address: UInt32
    var region: String
    var blocks: [PoolData.Block]
    @HexString var containing: UInt32?
    var large: PoolData.BigPage?
    var onlyContaining: Bool
    /// Set when the page is not a pool page `!pool` can describe.
    var corruption: PoolPageWalk.Corruption?

    var lines: [String] {
      var out = ["Pool page \(Hex.d8(address)) region is \(region)"]
      if let large {
        out.append(
          "*\(Hex.d8(large.va & ~1)) : large page allocation, tag is \(Ascii.tag(large.tag & 0x7fff_ffff)), size is 0x\(String(large.bytes, radix: 16)) bytes"
        )
        out.append("\t\tOwning component : Unknown (update pooltag.txt)")
        return out
      }
      if let corruption {
        out.append("\(Hex.d8(address)) is not a valid small pool allocation, checking large pool...")
        out.append("\(Hex.d8(address)) is freed (or corrupt) pool")
        if let line = corruption.line { out.append(line) }
        return out
      }
      for b in blocks {
        let mine = b.address == containing
        if onlyContaining && !mine { continue }
        let size = String(b.size, radix: 16).leftPadded(to: 4)
        let prev = String(b.previousSize, radix: 16).leftPadded(to: 4)
        let state = b.allocated ? "(Allocated)" : "(Free)     "
        out.append(
          "\(mine ? "*" : " ")\(Hex.d8(b.address)) size: \(size) previous size: \(prev)  \(state) \(mine ? "*" : " ")\(Ascii.tag(b.plainTag))\(b.protected ? " (Protected)" : "")"
        )
        if mine { out.append("\t\tOwning component : Unknown (update pooltag.txt)") }
      }
      return out
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    var p = inv.parser(session)
    let address = try p.parseAddress()
    var flags: UInt64 = 0
    if !p.atEnd { flags = try p.parse() }
    try p.expectEnd()
    let kind = try PoolData.kind(session, address)
    let region = try PoolData.regionName(session, address)
    let big = try PoolData.bigPageTable(session)
    if let e = big.entries.first(where: { !$0.free && address >= $0.va && UInt64(address - $0.va) < $0.bytes }) {
      return Output(
        address: address, region: region, blocks: [], containing: nil, large: e, onlyContaining: false,
        corruption: nil)
    }
    let page = address & ~0xfff
    let bytes = try session.targetCall { () throws(TargetError) in try session.target.readVirtual(page, count: 0x1000) }
    let walk = PoolPageWalk(page: page, bytes: bytes, kind: kind)
    let containing = walk.blocks.first { address >= $0.address && address - $0.address < $0.size }?.address
    return Output(
      address: address, region: region, blocks: walk.blocks, containing: containing, large: nil,
      onlyContaining: flags & 2 != 0, corruption: walk.corruption)
  }
}
