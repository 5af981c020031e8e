/// `r` (all registers, flags, current instruction), `r eax`, `r eax, ebx`, `r eax=expr`.
enum Registers: Command {
  static let names = ["r"]
  static let summary = "r [Register[=Value][, ...]]   show or set registers"

  struct Output: CommandOutput {
    var context: X86Context?
    var values: [Named]?
    var instruction: [UnassembledLine]

    struct Named: Codable, Sendable {
      var name: String
      @HexString var value: UInt32
    }

    var lines: [String] {
      if let values {
        return values.map { "\($0.name)=\(Hex.digits($0.value, width: Self.width(of: $0.name)))" }
      }
      guard let c = context else { return [] }
      return Self.dump(c) + instruction.flatMap(\.lines)
    }

    enum CodingKeys: String, CodingKey { case context, values, instruction }

    /// Digits `r` prints for a register: 8 for 32-bit ones, 4 for segments and 16-bit halves, 2 for bytes.
    static func width(of name: String) -> Int {
      if name.count == 3 || name.hasPrefix("$") { return 8 }
      if ["al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"].contains(name) { return 2 }
      return 4
    }

    static func dump(_ c: X86Context) -> [String] {
      let d = Hex.d8
      let s = { (v: UInt16) in Hex.digits(v, width: 4) }
      return [
        "eax=\(d(c.eax)) ebx=\(d(c.ebx)) ecx=\(d(c.ecx)) edx=\(d(c.edx)) esi=\(d(c.esi)) edi=\(d(c.edi))",
        "eip=\(d(c.eip)) esp=\(d(c.esp)) ebp=\(d(c.ebp)) iopl=\((c.eflags >> 12) & 3)         \(flags(c.eflags))",
        "cs=\(s(c.cs))  ss=\(s(c.ss))  ds=\(s(c.ds))  es=\(s(c.es))  fs=\(s(c.fs))  gs=\(s(c.gs))             efl=\(d(c.eflags))",
      ]
    }

    /// `nv up ei pl zr na po nc`: OF DF IF SF ZF AF PF CF.
    static func flags(_ f: UInt32) -> String {
      let bits: [(UInt32, String, String)] = [
        (11, "ov", "nv"), (10, "dn", "up"), (9, "ei", "di"), (7, "ng", "pl"), (6, "zr", "nz"), (4, "ac", "na"),
        (2, "pe", "po"), (0, "cy", "nc"),
      ]
      return bits.map { f & (1 << $0.0) != 0 ? $0.1 : $0.2 }.joined(separator: " ")
    }
  }

  static func run(_ inv: Invocation, in session: Session) throws(CommandError) -> any CommandOutput {
    if let pseudo = try pseudoRegisters(inv, in: session) { return pseudo }
    var context = try session.currentContext()
    let args = inv.arguments
    if args.isEmpty {
      let insn = try session.currentInstruction(at: context.eip, context: context)
      return Output(context: context, values: nil, instruction: insn)
    }
    var p = inv.parser(session)
    var shown: [Output.Named] = []
    var changed = false
    while !p.atEnd {
      let at = p.position
      var name = ""
      while p.position < p.chars.count, p.chars[p.position].isLetter || p.chars[p.position] == "$" {
        name.append(p.chars[p.position])
        p.position += 1
      }
      name = name.lowercased()
      guard !name.isEmpty, let current = context[register: name] else { throw .badRegister(position: at) }
      p.skipSpaces()
      if p.position < p.chars.count, p.chars[p.position] == "=" {
        p.position += 1
        let v = UInt32(truncatingIfNeeded: try p.parse())
        guard context.set(register: name, to: v) else { throw .badRegister(position: at) }
        changed = true
      } else {
        shown.append(.init(name: name, value: current))
      }
      p.skipSpaces()
      if p.position < p.chars.count, p.chars[p.position] == "," { p.position += 1 }
    }
    if changed {
      try session.targetCall { () throws(TargetError) in try session.target.setContext(context, thread: nil) }
      session.contextOverride = context
    }
    return Output(context: nil, values: shown, instruction: [])
  }
}
