internal import CCapstone

/// x86 disassembly through Capstone in MASM syntax, post-processed to WinDbg's operand spelling
/// (`mov     eax,dword ptr [ebp-8]`, `push    20636241h`, `int     3`).
/// Owns one Capstone handle; used only from the session's thread.
final class Disassembler {
  struct Instruction: Sendable, Equatable, Encodable {
    var address: UInt32
    var bytes: [UInt8]
    var mnemonic: String
    var operands: String
    /// The direct branch/call target, for symbolizing.
    var branchTarget: UInt32?
  }

  private var handle: csh = 0
  private let opened: Bool

  init() {
    var h: csh = 0
    opened = cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK
    if opened {
      handle = h
      _ = cs_option(h, CS_OPT_SYNTAX, Int(CS_OPT_SYNTAX_MASM.rawValue))
    }
  }

  deinit {
    if opened { _ = cs_close(&handle) }
  }

  /// Decodes the first instruction of `bytes` (placed at `address`); nil when it is not valid code.
  func decode(_ bytes: [UInt8], at address: UInt32) -> Instruction? {
    guard opened, !bytes.isEmpty else { return nil }
    var insn: UnsafeMutablePointer<cs_insn>?
    let n = bytes.withUnsafeBufferPointer { buf in
      cs_disasm(handle, buf.baseAddress, buf.count, UInt64(address), 1, &insn)
    }
    guard n > 0, let insn else { return nil }
    defer { cs_free(insn, n) }
    let size = Int(insn.pointee.size)
    let mnemonic = String(cString: kd_cs_mnemonic(insn))
    let ops = String(cString: kd_cs_op_str(insn))
    return Self.windbgSpelling(address: address, bytes: Array(bytes.prefix(size)), mnemonic: mnemonic, operands: ops)
  }

  static func windbgSpelling(address: UInt32, bytes: [UInt8], mnemonic: String, operands: String) -> Instruction {
    var m = mnemonic
    var o = operands
    if m == "int3" {
      m = "int"
      o = "3"
    }
    // WinDbg writes operands without the spaces Capstone puts after commas and around + and -.
    o = o.replacingAll(", ", with: ",").replacingAll(" + ", with: "+").replacingAll(" - ", with: "-")
    var target: UInt32?
    let branches: Set<String> = [
      "call", "jmp", "je", "jne", "jz", "jnz", "ja", "jae", "jb", "jbe", "jg", "jge", "jl", "jle", "js", "jns", "jo",
      "jno",
      "jp", "jnp", "jecxz", "loop", "loope", "loopne",
    ]
    if branches.contains(m), let v = masmNumber(o) {
      target = UInt32(truncatingIfNeeded: v)
    }
    return Instruction(address: address, bytes: bytes, mnemonic: m, operands: o, branchTarget: target)
  }

  /// `0f7a1c000h` / `1234h` / `12` as Capstone's MASM syntax prints immediates.
  private static func masmNumber(_ s: String) -> UInt64? {
    if s.hasSuffix("h") { return UInt64(s.dropLast(), radix: 16) }
    return UInt64(s, radix: 10)
  }
}

extension String {
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var out = ""
    var rest = Substring(self)
    while let r = rest.firstRange(of: target) {
      out += rest[..<r.lowerBound]
      out += replacement
      rest = rest[r.upperBound...]
    }
    return out + rest
  }
}
