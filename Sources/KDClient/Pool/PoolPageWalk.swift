/// The block chain of one pool page, checked before `!pool` prints it, as kdexts checks it: every header's
/// BlockSize is nonzero and keeps the block inside the page, every PreviousSize is the size of the block
/// before it (0 for the first), every in-use header names the pool the page is in, and the chain ends
/// exactly at the page end. A page that fails is not a pool page `!pool` can describe.
struct PoolPageWalk {
  enum Corruption: Equatable, Sendable, Encodable {
    case zeroSize(at: UInt32)
    case tooLarge(at: UInt32)
    case previousSize(at: UInt32, lastSize: UInt32)
    /// An in-use header whose pool type is not the pool the page is in.
    case poolType(at: UInt32)
    /// The page (or part of it) could not be read.
    case unreadable

    /// KD's line for it, when KD has one.
    var line: String? {
      switch self {
      case .zeroSize(let a): "Bad allocation size @\(Hex.d8(a)), zero is invalid"
      case .tooLarge(let a): "Bad allocation size @\(Hex.d8(a)), too large"
      case .previousSize(let a, let last):
        "Bad previous allocation size @\(Hex.d8(a)), last size was \(String(last, radix: 16))"
      case .poolType, .unreadable: nil
      }
    }

    private enum Keys: String, CodingKey { case kind, at, lastSize }

    /// `{"kind":"previousSize","at":"0x…","lastSize":N}`: the header's address as a hex string, as every address
    /// in kd's JSON.
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: Keys.self)
      switch self {
      case .zeroSize(let a), .tooLarge(let a), .poolType(let a): try c.encode(HexString(wrappedValue: a), forKey: .at)
      case .previousSize(let a, let last):
        try c.encode(HexString(wrappedValue: a), forKey: .at)
        try c.encode(last, forKey: .lastSize)
      case .unreadable: break
      }
      try c.encode(kind, forKey: .kind)
    }

    private var kind: String {
      switch self {
      case .zeroSize: "zeroSize"
      case .tooLarge: "tooLarge"
      case .previousSize: "previousSize"
      case .poolType: "poolType"
      case .unreadable: "unreadable"
      }
    }
  }

  private(set) var blocks: [PoolData.Block] = []
  /// The first thing wrong with the chain, nil when it runs from the page start to the page end.
  private(set) var corruption: Corruption?

  /// `bytes` are the page's (fewer when a read stopped short); `kind` is the pool the page lies in, nil
  /// when it lies in none.
  init(page: UInt32, bytes: [UInt8], kind: PoolData.PoolKind?) {
    guard bytes.count == 0x1000 else {
      corruption = .unreadable
      return
    }
    var offset = 0
    var last: UInt32 = 0
    while offset < 0x1000 {
      let block = PoolData.Block(
        address: page &+ UInt32(offset), header: bytes.u32(at: offset), tag: bytes.u32(at: offset + 4))
      if block.size == 0 {
        corruption = .zeroSize(at: block.address)
        return
      }
      if offset + Int(block.size) > 0x1000 {
        corruption = .tooLarge(at: block.address)
        return
      }
      if block.previousSize != last {
        corruption = .previousSize(at: block.address, lastSize: last)
        return
      }
      if block.allocated, let kind, (block.poolType &- 1) & 1 != (kind == .paged ? 1 : 0) {
        corruption = .poolType(at: block.address)
        return
      }
      blocks.append(block)
      last = block.size
      offset += Int(block.size)
    }
  }
}
