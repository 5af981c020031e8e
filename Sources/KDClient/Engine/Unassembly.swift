/// Instruction lines in WinDbg's `u` layout, shared by `u`, `r` and break notifications:
/// a `symbol+0xoff:` line whenever the symbol changes, then `addr opcode-bytes(16) mnemonic(8)operands`.
struct UnassembledLine: Codable, Sendable {
  /// `module!func+0xoff:` header printed before this instruction, when the symbol changed.
  var label: String?
  @HexString var address: UInt32
  var bytes: [UInt8]?
  var mnemonic: String
  var operands: String
  /// KD's effective-address or `[br=N]` suffix (the instruction at the current `eip` only).
  var suffix: String?

  var lines: [String] {
    var out: [String] = []
    if let label { out.append(label + ":") }
    guard let bytes else {
      out.append("\(Hex.d8(address)) ??              ???")
      return out
    }
    let hex = bytes.map { Hex.digits($0, width: 2) }.joined()
    var line = "\(Hex.d8(address)) \(hex.rightPadded(to: 15)) \(mnemonic.rightPadded(to: 8))\(operands)"
    while line.hasSuffix(" ") { line.removeLast() }
    if let suffix { line += " " + suffix }
    out.append(line)
    return out
  }
}

extension Session {
  /// Disassembles `count` instructions from `address`. Stops after an unreadable one (its line shows `??`).
  /// `labelFirst`: print the symbol line before the first instruction too.
  func unassemble(_ address: UInt32, count: Int, labelFirst: Bool = true) throws(CommandError) -> (
    lines: [UnassembledLine], next: UInt32, failed: Bool
  ) {
    var out: [UnassembledLine] = []
    var a = address
    let window = try readBytes(address, count: count * 15 + 15)
    var lastSymbol: String?
    for _ in 0..<count {
      let offset = Int(a &- address)
      let raw = window[offset..<min(offset + 15, window.count)]
      let readable = Array(raw.prefix { $0 != nil }.map { $0! })
      let symbol = try describe(a)
      let base = symbol.map(Self.symbolBase)
      var label: String?
      if let symbol, base != lastSymbol || (out.isEmpty && labelFirst) {
        label = symbol
      }
      lastSymbol = base
      guard let insn = disassembler.decode(readable, at: a) else {
        out.append(UnassembledLine(label: label, address: a, bytes: nil, mnemonic: "???", operands: ""))
        return (out, a, true)
      }
      var operands = insn.operands
      if let t = insn.branchTarget {
        operands = try (describe(t).map { "\($0) (\(Hex.d8(t)))" }) ?? Hex.d8(t)
      } else {
        operands = try symbolizeMemoryOperand(operands)
      }
      out.append(
        UnassembledLine(label: label, address: a, bytes: insn.bytes, mnemonic: insn.mnemonic, operands: operands))
      a = a &+ UInt32(insn.bytes.count)
    }
    return (out, a, false)
  }

  /// `dword ptr [804da000h]` -> `dword ptr [nt!PoolHitTag (804da000)]` when the address has a symbol.
  private func symbolizeMemoryOperand(_ operands: String) throws(CommandError) -> String {
    guard let open = operands.firstIndex(of: "["), let close = operands[open...].firstIndex(of: "]") else {
      return operands
    }
    var inner = operands[operands.index(after: open)..<close]
    guard inner.hasSuffix("h") else { return operands }
    inner = inner.dropLast()
    guard let value = UInt32(inner, radix: 16), let symbol = try describe(value) else { return operands }
    return operands[...open] + "\(symbol) (\(Hex.d8(value)))" + operands[close...]
  }

  /// `nt!Foo+0x12` -> `nt!Foo` (the part that decides whether a new label line is due).
  private static func symbolBase(_ s: String) -> String {
    if let plus = s.lastIndex(of: "+") { return String(s[..<plus]) }
    return s
  }
}
