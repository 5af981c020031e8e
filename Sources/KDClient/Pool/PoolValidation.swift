/// `!poolval`'s analysis of one pool page, after kdexts' ValidatePoolPage: the page is valid when the headers
/// chain from the page start to the page end, each PreviousSize (in 8-byte units) the BlockSize of the block
/// before it. Otherwise the chain is followed and each broken link is put right from its neighbours: a header
/// whose PreviousSize does not name the block its predecessor's BlockSize reaches (`invalid previous size`),
/// or a BlockSize that misses the header whose PreviousSize points back at it (`invalid block size`). A fix
/// one bit away from the value in memory is reported again as a single-bit error.
struct PoolValidation: Sendable, Equatable, Codable {
  struct Fix: Sendable, Equatable, Codable {
    enum Field: String, Sendable, Codable { case previousSize, blockSize }
    var node: UInt32
    var field: Field
    /// Both in 8-byte units, as the header holds them.
    var found: UInt32
    var expected: UInt32

    var singleBit: Bool { (found ^ expected).nonzeroBitCount == 1 }
  }

  @HexString var page: UInt32
  var valid: Bool
  var fixes: [Fix]

  /// `bytes` are the page's 4096 bytes (read in full by the caller).
  init(page: UInt32, bytes: [UInt8]) {
    self.page = page
    fixes = []
    func previous(_ offset: Int) -> UInt32 { UInt32(bytes.u16(at: offset)) & 0x1ff }
    func blockSize(_ offset: Int) -> UInt32 { UInt32(bytes.u16(at: offset + 2)) & 0x1ff }
    var offset = 0
    var last: UInt32 = 0
    var reachedEnd = false
    // A short page (the caller reads it whole) checks as invalid, with nothing to mend.
    if bytes.count < 0x1000 { offset = 0x1000 }
    while offset < 0x1000 {
      let node = page &+ UInt32(offset)
      if previous(offset) != last {
        fixes.append(Fix(node: node, field: .previousSize, found: previous(offset), expected: last))
      }
      let size = blockSize(offset)
      let next = offset + Int(size) * 8
      if size != 0, next == 0x1000 {
        reachedEnd = true
        break
      }
      if size != 0, next < 0x1000, previous(next) == size {
        last = size
        offset = next
        continue
      }
      // The link to the next block is broken: a later header pointing back here says this BlockSize is wrong;
      // otherwise the header this BlockSize reaches has the wrong PreviousSize (reported on arrival).
      let back = stride(from: offset + 8, to: 0x1000, by: 8).first {
        previous($0) != 0 && $0 - Int(previous($0)) * 8 == offset
      }
      if let back {
        let fixed = UInt32((back - offset) / 8)
        fixes.append(Fix(node: node, field: .blockSize, found: size, expected: fixed))
        last = fixed
        offset = back
      } else if size != 0, next < 0x1000 {
        last = size
        offset = next
      } else {
        break
      }
    }
    valid = reachedEnd && fixes.isEmpty
  }

  /// KD's lines from `Pool page [ … ] is VALID.` on (the caller prints the region and `Validating` lines).
  var lines: [String] {
    var out = ["", "Pool page [ \(Hex.d8(page)) ] is \(valid ? "" : "IN")VALID."]
    guard !valid else { return out + [""] }
    out += ["", "Analyzing linked list..."]
    for f in fixes {
      let what = f.field == .previousSize ? "previous size" : "block size"
      out.append(
        "[ \(Hex.d8(f.node)) ]: invalid \(what) [ 0x\(String(f.found, radix: 16)) ] should be [ 0x\(String(f.expected, radix: 16)) ]"
      )
    }
    out += ["", "", "Scanning for single bit errors..."]
    let singleBits = fixes.filter(\.singleBit)
    for f in singleBits {
      let what = f.field == .previousSize ? "previous size" : "block size"
      out.append(
        "[ \(Hex.d8(f.node)) ]: \(what) [ 0x\(String(f.found, radix: 16)) ] should be [ 0x\(String(f.expected, radix: 16)) ]"
      )
    }
    if singleBits.isEmpty { out += ["", "None found"] }
    return out + [""]
  }
}
