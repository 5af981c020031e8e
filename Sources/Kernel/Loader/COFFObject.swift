/// A parsed i386 COFF object file (what clang emits for i686-pc-windows-msvc).
struct COFFObject {
  struct Section {
    var name: String
    var virtualSize: UInt32
    var rawSize: UInt32
    var rawOffset: UInt32
    var characteristics: UInt32
    var relocations: [Relocation]
    var data: [UInt8]  // empty for uninitialized data

    var isCode: Bool { characteristics & 0x20 != 0 }
    var isUninitialized: Bool { characteristics & 0x80 != 0 }
    /// Not part of the image: .drectve, .llvm_addrsig, debug sections.
    var isDropped: Bool { characteristics & (0x800 | 0x200 | 0x0200_0000) != 0 || characteristics & 0xe0 == 0 }
    var alignment: UInt32 {
      let n = (characteristics >> 20) & 0xf
      return n == 0 ? 16 : UInt32(1) << (n - 1)
    }
    var loadSize: UInt32 { isUninitialized ? max(rawSize, virtualSize) : rawSize }
  }

  struct Relocation {
    var offset: UInt32
    var symbolIndex: Int
    var type: UInt16
  }

  struct Symbol {
    var name: String
    var value: UInt32
    /// 1-based section number; 0 undefined/common, negative absolute/debug.
    var section: Int16
    var type: UInt16
    var storageClass: UInt8
    var auxCount: UInt8
    var isFunction: Bool { type & 0x30 == 0x20 }
  }

  static let machineI386: UInt16 = 0x14c
  static let relDir32: UInt16 = 0x06
  static let relDir32NB: UInt16 = 0x07
  static let relRel32: UInt16 = 0x14

  var timeDateStamp: UInt32
  var sections: [Section]
  /// Indexed by symbol-table index (aux records are placeholders).
  var symbols: [Symbol?]
  /// Sum of the file's bytes, a stand-in for the PE checksum.
  var checksum: UInt32

  init(bytes: [UInt8], file: String) throws(KernelError) {
    func fail(_ offset: Int, _ reason: String) -> KernelError {
      .malformedObject(file: file, offset: offset, reason: reason)
    }
    func u16(_ o: Int) throws(KernelError) -> UInt16 {
      guard o >= 0, o + 2 <= bytes.count else { throw fail(o, "truncated (need 2 bytes, file is \(bytes.count))") }
      return UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8
    }
    func u32(_ o: Int) throws(KernelError) -> UInt32 {
      guard o >= 0, o + 4 <= bytes.count else { throw fail(o, "truncated (need 4 bytes, file is \(bytes.count))") }
      return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
    func cString(_ o: Int, max: Int) -> String {
      var end = o
      while end < bytes.count, end < o + max, bytes[end] != 0 { end += 1 }
      return String(decoding: bytes[o..<end], as: UTF8.self)
    }

    let machine = try u16(0)
    guard machine == Self.machineI386 else {
      throw fail(0, "machine 0x\(String(machine, radix: 16)), expected 0x14c (i386)")
    }
    let sectionCount = Int(try u16(2))
    timeDateStamp = try u32(4)
    let symbolTable = Int(try u32(8))
    let symbolCount = Int(try u32(12))
    let optionalSize = Int(try u16(16))
    guard symbolCount < 1_000_000, symbolTable + symbolCount * 18 <= bytes.count else {
      throw fail(8, "symbol table (\(symbolCount) symbols at 0x\(String(symbolTable, radix: 16))) past end of file")
    }
    let stringTable = symbolTable + symbolCount * 18
    let stringTableSize = symbolCount > 0 || stringTable + 4 <= bytes.count ? Int(try u32(stringTable)) : 0
    guard stringTable + stringTableSize <= bytes.count else {
      throw fail(stringTable, "string table of \(stringTableSize) bytes past end of file")
    }
    func longName(_ offset: Int, at where_: Int) throws(KernelError) -> String {
      guard offset >= 4, offset < stringTableSize else {
        throw fail(where_, "string table offset \(offset) out of range")
      }
      return cString(stringTable + offset, max: stringTableSize - offset)
    }

    var sections: [Section] = []
    for i in 0..<sectionCount {
      let h = 20 + optionalSize + i * 40
      guard h + 40 <= bytes.count else { throw fail(h, "section header \(i + 1) past end of file") }
      var name = cString(h, max: 8)
      if name.hasPrefix("/"), let off = Int(name.dropFirst()) { name = try longName(off, at: h) }
      let rawSize = try u32(h + 16)
      let rawOffset = try u32(h + 20)
      let relocOffset = Int(try u32(h + 24))
      let relocCount = Int(try u16(h + 32))
      let characteristics = try u32(h + 36)
      let uninitialized = characteristics & 0x80 != 0
      var data: [UInt8] = []
      if !uninitialized, rawSize > 0 {
        guard Int(rawOffset) + Int(rawSize) <= bytes.count else {
          throw fail(
            h + 20,
            "section \(name) data (0x\(String(rawSize, radix: 16)) bytes at 0x\(String(rawOffset, radix: 16))) past end of file"
          )
        }
        data = Array(bytes[Int(rawOffset)..<Int(rawOffset) + Int(rawSize)])
      }
      var relocations: [Relocation] = []
      for r in 0..<relocCount {
        let o = relocOffset + r * 10
        let rel = Relocation(offset: try u32(o), symbolIndex: Int(try u32(o + 4)), type: try u16(o + 8))
        guard rel.symbolIndex < symbolCount else {
          throw fail(o + 4, "relocation names symbol \(rel.symbolIndex) of \(symbolCount)")
        }
        relocations.append(rel)
      }
      sections.append(
        Section(
          name: name, virtualSize: try u32(h + 8), rawSize: rawSize, rawOffset: rawOffset,
          characteristics: characteristics, relocations: relocations, data: data))
    }

    var symbols: [Symbol?] = []
    var i = 0
    while i < symbolCount {
      let s = symbolTable + i * 18
      let name: String
      if try u32(s) == 0 { name = try longName(Int(try u32(s + 4)), at: s) } else { name = cString(s, max: 8) }
      let section = Int16(bitPattern: try u16(s + 12))
      guard Int(section) <= sectionCount else {
        throw fail(s + 12, "symbol \(name) in section \(section) of \(sectionCount)")
      }
      let aux = bytes[s + 17]
      symbols.append(
        Symbol(
          name: name, value: try u32(s + 8), section: section, type: try u16(s + 14),
          storageClass: bytes[s + 16], auxCount: aux))
      for _ in 0..<Int(aux) { symbols.append(nil) }
      i += 1 + Int(aux)
    }
    self.sections = sections
    self.symbols = symbols
    checksum = bytes.reduce(UInt32(0)) { $0 &+ UInt32($1) } &+ UInt32(bytes.count)
  }
}
