import KDKernel

/// A module's symbols as a file gdb loads: an ELF32 i386 object with no contents (gdb reads the code from the
/// target's memory), one PT_LOAD segment spanning the image, and a symbol table: functions in a code section
/// (the image up to the page after the last function), data in a data section (the rest). gdb fetches these files over `vFile:` (its default sysroot
/// is `target:`), so a user needs nothing on disk. nt's is the executable (`qXfer:exec-file`), an ET_EXEC at its
/// load address, as the kernel is Windows' main image; each driver's is a shared object at address 0 that gdb
/// relocates to the load address the libraries list gives (`add-symbol-file FILE -o BASE` does the same).
enum GDBSymbolFile {
  /// Where the libraries list says each module's file is: Windows' own layout, under which the endpoint serves
  /// these files (and nothing else).
  static func path(of module: ModuleInfo) -> String {
    module.name == "nt"
      ? "/SystemRoot/system32/\(module.imageName)" : "/SystemRoot/system32/drivers/\(module.imageName)"
  }

  static func make(module: ModuleInfo, symbols: [KernelSymbol]) -> [UInt8] {
    let executable = module.name == "nt"
    let origin = executable ? module.base : 0
    let inImage = symbols.filter { $0.address >= module.base && $0.address - module.base < module.size }
    // ELF puts local symbols first; sh_info is the index of the first global.
    let ordered = inImage.filter(\.isStatic) + inImage.filter { !$0.isStatic }
    let functionsEnd =
      inImage.filter { $0.kind == .function }.map { UInt64($0.address - module.base) + UInt64($0.size) }
      .max() ?? 0
    let textSize = UInt32(min(UInt64(module.size), (functionsEnd + 0xfff) & ~0xfff))
    var strtab: [UInt8] = [0]
    var symtab = [UInt8](repeating: 0, count: 16)  // entry 0: the null symbol
    for s in ordered {
      let nameOffset = UInt32(strtab.count)
      strtab += Array(s.name.utf8) + [0]
      let bind: UInt8 = s.isStatic ? 0 : 1  // STB_LOCAL, STB_GLOBAL
      let type: UInt8 = s.kind == .function ? 2 : 1  // STT_FUNC, STT_OBJECT
      let section: UInt16 = s.kind == .function || s.address - module.base < textSize ? 1 : 2
      symtab +=
        le32(nameOffset) + le32(s.address - module.base + origin) + le32(s.size) + [bind << 4 | type, 0]
        + le16(section)
    }
    let firstGlobal = UInt32(1 + ordered.filter(\.isStatic).count)
    let shstrtab = Array("\0.text\0.data\0.symtab\0.strtab\0.shstrtab\0".utf8)
    let names: [String: UInt32] = [".text": 1, ".data": 7, ".symtab": 13, ".strtab": 21, ".shstrtab": 29]

    let headers = 52 + 32
    let symtabOffset = UInt32(headers)
    let strtabOffset = symtabOffset + UInt32(symtab.count)
    let shstrtabOffset = strtabOffset + UInt32(strtab.count)
    let sectionsOffset = (shstrtabOffset + UInt32(shstrtab.count) + 3) & ~3
    var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
    out += le16(executable ? 2 : 3) + le16(3) + le32(1)  // ET_EXEC or ET_DYN, EM_386, EV_CURRENT
    out += le32(0) + le32(52) + le32(sectionsOffset) + le32(0)  // entry, phoff, shoff, flags
    out += le16(52) + le16(32) + le16(1) + le16(40) + le16(6) + le16(5)  // sizes, counts, shstrndx
    // PT_LOAD, offset 0, vaddr and paddr the origin, filesz 0, memsz = image size, R+X, page aligned.
    out += le32(1) + le32(0) + le32(origin) + le32(origin) + le32(0) + le32(module.size) + le32(5) + le32(0x1000)
    out += symtab + strtab + shstrtab
    out += [UInt8](repeating: 0, count: Int(sectionsOffset) - out.count)
    func section(
      _ name: String?, type: UInt32, flags: UInt32, offset: UInt32, size: UInt32, link: UInt32 = 0,
      info: UInt32 = 0, align: UInt32 = 1, entsize: UInt32 = 0, at: UInt32 = 0
    ) {
      let address = flags & 2 != 0 ? origin + at : 0  // SHF_ALLOC sections sit in the image
      out += le32(name.map { names[$0] ?? 0 } ?? 0) + le32(type) + le32(flags) + le32(address) + le32(offset)
      out += le32(size)
      out += le32(link) + le32(info) + le32(align) + le32(entsize)
    }
    section(nil, type: 0, flags: 0, offset: 0, size: 0)
    section(".text", type: 8, flags: 6, offset: symtabOffset, size: textSize, align: 16)  // NOBITS, ALLOC|EXEC
    section(".data", type: 8, flags: 3, offset: symtabOffset, size: module.size - textSize, align: 16, at: textSize)
    section(
      ".symtab", type: 2, flags: 0, offset: symtabOffset, size: UInt32(symtab.count), link: 4, info: firstGlobal,
      align: 4, entsize: 16)
    section(".strtab", type: 3, flags: 0, offset: strtabOffset, size: UInt32(strtab.count))
    section(".shstrtab", type: 3, flags: 0, offset: shstrtabOffset, size: UInt32(shstrtab.count))
    return out
  }

  private static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
  private static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}
