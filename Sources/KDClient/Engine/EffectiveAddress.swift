/// What KD appends to the instruction at the current `eip` (in `r`, break notifications and `t`/`p`): each
/// memory operand's effective address and the value there (`ds:0023:804da000=ffffff0f`, `?`s when unreadable;
/// an indirect `call`/`jmp` target as `{symbol (address)}`), or a conditional branch's outcome from the
/// flags (`[br=1]` taken, `[br=0]` not).
enum EffectiveAddress {
  /// One memory operand of an instruction in MASM spelling: `dword ptr [ebp+8]`, `byte ptr es:[edi]`.
  struct Operand: Equatable {
    var segment: String
    var address: UInt32
    var size: Int
  }

  /// Operand sizes by MASM keyword.
  static let sizes: [String: Int] = ["byte": 1, "word": 2, "dword": 4, "qword": 8]

  /// The memory operands of `operands` (raw MASM, numbers as `8`, `0Ch`, `804da000h`) under `context`.
  /// An operand whose size or address cannot be worked out (a `fs:`-relative one, whose segment base the
  /// debugger does not know) is left out.
  static func operands(_ operands: String, mnemonic: String, context: X86Context) -> [Operand] {
    guard mnemonic != "lea", mnemonic != "nop" else { return [] }
    var out: [Operand] = []
    var rest = Substring(operands)
    while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
      let before = rest[..<open]
      defer { rest = rest[rest.index(after: close)...] }
      let piece = before.split(separator: ",").last.map(String.init) ?? ""
      var words = piece.split(separator: " ").map(String.init)
      var segment: String?
      if let last = words.last, last.hasSuffix(":") {
        segment = String(last.dropLast())
        words.removeLast()
      }
      guard words.count >= 2, words.last == "ptr", let size = sizes[words[words.count - 2]] else { continue }
      guard let (address, stackBased) = evaluate(rest[rest.index(after: open)..<close], context) else { continue }
      let seg = segment ?? (stackBased ? "ss" : "ds")
      guard seg != "fs", seg != "gs" else { continue }
      out.append(Operand(segment: seg, address: address, size: size))
    }
    return out
  }

  /// `ebp+eax*4-0Ch` -> its value, and whether its base register is `ebp`/`esp` (an `ss:` access).
  static func evaluate(_ expression: Substring, _ context: X86Context) -> (UInt32, Bool)? {
    var total: UInt32 = 0
    var stackBased = false
    var sawRegister = false
    var term = ""
    var negative = false
    func flush() -> Bool {
      defer { term = "" }
      guard !term.isEmpty else { return true }
      let value: UInt32
      let factors = term.split(separator: "*")
      if let register = context[register: String(factors[0])], factors[0].count == 3 {
        var scale: UInt32 = 1
        if factors.count == 2 {
          guard let s = UInt32(factors[1]) else { return false }
          scale = s
        } else if !sawRegister, factors[0] == "ebp" || factors[0] == "esp" {
          stackBased = true
        }
        if factors.count == 1 { sawRegister = true }
        value = register &* scale
      } else if term.hasSuffix("h"), let v = UInt32(term.dropLast(), radix: 16) {
        value = v
      } else if let v = UInt32(term) {
        value = v
      } else {
        return false
      }
      total = negative ? total &- value : total &+ value
      return true
    }
    for c in expression {
      if c == "+" || c == "-" {
        guard flush() else { return nil }
        negative = c == "-"
      } else if c != " " {
        term.append(c)
      }
    }
    guard flush() else { return nil }
    return (total, stackBased)
  }

  /// Whether the conditional branch `mnemonic` is taken under `flags`/`ecx`; nil for any other instruction.
  static func branchTaken(_ mnemonic: String, context c: X86Context) -> Bool? {
    let f = c.eflags
    let cf = f & 1 != 0
    let pf = f & 0x4 != 0
    let zf = f & 0x40 != 0
    let sf = f & 0x80 != 0
    let of = f & 0x800 != 0
    switch mnemonic {
    case "jo": return of
    case "jno": return !of
    case "jb": return cf
    case "jae": return !cf
    case "je": return zf
    case "jne": return !zf
    case "jbe": return cf || zf
    case "ja": return !(cf || zf)
    case "js": return sf
    case "jns": return !sf
    case "jp": return pf
    case "jnp": return !pf
    case "jl": return sf != of
    case "jge": return sf == of
    case "jle": return zf || sf != of
    case "jg": return !zf && sf == of
    case "jecxz": return c.ecx == 0
    case "jcxz": return c.ecx & 0xffff == 0
    default: return nil
    }
  }
}

extension Session {
  /// KD's suffix for the instruction `insn` executing under `context` (see `EffectiveAddress`); nil when none.
  func effectiveAddressSuffix(_ insn: Disassembler.Instruction, context: X86Context) throws(CommandError) -> String? {
    if let taken = EffectiveAddress.branchTaken(insn.mnemonic, context: context) { return taken ? "[br=1]" : "[br=0]" }
    var parts: [String] = []
    for op in EffectiveAddress.operands(insn.operands, mnemonic: insn.mnemonic, context: context) {
      let selector = context[register: op.segment].map { Hex.digits($0, width: 4) } ?? "0000"
      let bytes = try readBytes(op.address, count: op.size)
      var value = String(repeating: "?", count: op.size * 2)
      if bytes.allSatisfy({ $0 != nil }) {
        let raw = bytes.reversed().map { Hex.digits($0!, width: 2) }.joined()
        value = raw
        if op.size == 4, insn.mnemonic == "call" || insn.mnemonic == "jmp", let target = UInt32(raw, radix: 16),
          let symbol = try describe(target)
        {
          value = "{\(symbol) (\(Hex.d8(target)))}"
        }
      }
      parts.append("\(op.segment):\(selector):\(Hex.d8(op.address))=\(value)")
    }
    return parts.isEmpty ? nil : parts.joined(separator: " ")
  }

  /// The instruction at `address` (the stop's pc) as `r`, break notifications and `t`/`p` print it: `u`'s line
  /// with KD's effective-address or branch suffix, computed under `context`.
  func currentInstruction(at address: UInt32, context: X86Context) throws(CommandError) -> [UnassembledLine] {
    var lines = try unassemble(address, count: 1).lines
    guard var line = lines.last, let bytes = line.bytes,
      let insn = disassembler.decode(bytes, at: address)
    else { return lines }
    line.suffix = try effectiveAddressSuffix(insn, context: context)
    lines[lines.count - 1] = line
    return lines
  }
}
