/// Maps a COFF object at a module base: lays out its sections behind a PE header, binds `__imp_` import
/// slots and direct calls to nt's exports, applies DIR32/REL32 relocations and collects its symbols
/// (statics included).
enum DriverLoader {
  static let maxImageSize: UInt32 = 16 << 20

  static func load(
    _ object: COFFObject, file: String, name: String, base: UInt32, nt: NtModule,
    space: AddressSpace
  ) throws(KernelError) -> LoadedModule {
    func fail(_ reason: String) -> KernelError { .malformedObject(file: file, offset: 0, reason: reason) }
    var offset: UInt32 = KernelLayout.pageSize
    var sectionBase = [UInt32?](repeating: nil, count: object.sections.count)
    // Code first, then initialized data, then bss, like a linker would.
    let order = object.sections.indices.filter { !object.sections[$0].isDropped }.sorted {
      func rank(_ s: COFFObject.Section) -> Int { s.isCode ? 0 : s.isUninitialized ? 2 : 1 }
      return (rank(object.sections[$0]), $0) < (rank(object.sections[$1]), $1)
    }
    // Sizes come from the object file: summed in 64 bits, so an absurd one is refused, not a trap.
    func ensureFits(_ extra: UInt64) throws(KernelError) {
      guard UInt64(offset) + extra <= UInt64(Self.maxImageSize) else {
        throw fail("image would exceed \(Self.maxImageSize >> 20) MiB")
      }
    }
    var inCode = true
    for i in order {
      let s = object.sections[i]
      try ensureFits(UInt64(s.loadSize) + UInt64(KernelLayout.pageSize))
      if inCode, !s.isCode {
        // Data starts on its own page, as in a linked image: a store next to code would make the
        // emulator throw away and retranslate that code on every write.
        offset = offset.roundedUp(to: KernelLayout.pageSize)
        inCode = false
      }
      offset = offset.roundedUp(to: max(s.alignment, 4))
      sectionBase[i] = offset
      offset += s.loadSize
    }
    // Common symbols and import slots go after the sections.
    var symbolAddress = [UInt32?](repeating: nil, count: object.symbols.count)
    var importSlots: [String: UInt32] = [:]
    var slotTargets: [(UInt32, UInt32)] = []
    offset = offset.roundedUp(to: 16)
    for (i, sym) in object.symbols.enumerated() {
      guard let sym else { continue }
      if sym.section > 0 {
        guard let sb = sectionBase[Int(sym.section) - 1] else { continue }
        symbolAddress[i] = base &+ sb &+ sym.value
      } else if sym.section == 0, sym.value > 0, sym.storageClass == 2 {  // common (bss)
        try ensureFits(UInt64(sym.value) + 16)
        offset = offset.roundedUp(to: min(sym.value.roundedUp(to: 4), 16))
        symbolAddress[i] = base + offset
        offset += sym.value
      } else if sym.section == 0, sym.storageClass == 2 {
        if sym.name.hasPrefix("__imp_") {
          let target = LoadedModule.undecorate(String(sym.name.dropFirst(6)))
          guard let address = nt.exports[target] else { throw .unresolvedImport(file: file, symbol: sym.name) }
          if let slot = importSlots[sym.name] {
            symbolAddress[i] = slot
          } else {
            try ensureFits(8)
            offset = offset.roundedUp(to: 4)
            importSlots[sym.name] = base + offset
            symbolAddress[i] = base + offset
            slotTargets.append((offset, address))
            offset += 4
          }
        } else {
          guard let address = nt.exports[LoadedModule.undecorate(sym.name)] else {
            throw .unresolvedImport(file: file, symbol: sym.name)
          }
          symbolAddress[i] = address
        }
      }
    }
    let size = max(offset, KernelLayout.pageSize + 1).roundedUp(to: KernelLayout.pageSize)
    guard UInt64(base) + UInt64(size) <= UInt64(KernelLayout.stackArea) else {
      throw fail("no room in the driver area (f7a00000-f8a00000) for \(size) bytes at \(hex(base))")
    }
    var image = [UInt8](repeating: 0, count: Int(size))
    func put32(_ o: Int, _ v: UInt32) { for k in 0..<4 { image[o + k] = UInt8(v >> (8 * UInt32(k)) & 0xff) } }
    func get32(_ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(image[o + $1]) << (8 * UInt32($1)) } }

    for i in order {
      let s = object.sections[i]
      let sb = Int(sectionBase[i]!)
      if !s.data.isEmpty { image.replaceSubrange(sb..<sb + s.data.count, with: s.data) }
      for r in s.relocations {
        guard UInt64(r.offset) + 4 <= UInt64(s.loadSize) else {
          throw .malformedObject(
            file: file, offset: Int(s.rawOffset) + Int(r.offset),
            reason: "relocation at 0x\(hex(r.offset)) past end of section \(s.name)")
        }
        guard let target = symbolAddress[r.symbolIndex] else {
          let symName = object.symbols[r.symbolIndex]?.name ?? "#\(r.symbolIndex)"
          throw fail("relocation in \(s.name) at 0x\(hex(r.offset)) names \(symName), which has no address")
        }
        let at = sb + Int(r.offset)
        switch r.type {
        case COFFObject.relDir32: put32(at, get32(at) &+ target)
        case COFFObject.relRel32: put32(at, get32(at) &+ target &- (base + UInt32(at) + 4))
        case COFFObject.relDir32NB: put32(at, get32(at) &+ target &- base)
        default:
          throw .malformedObject(
            file: file, offset: Int(s.rawOffset) + Int(r.offset),
            reason: "relocation type 0x\(String(r.type, radix: 16)) in \(s.name) is not supported (DIR32/REL32 only)")
        }
      }
    }
    for (slot, target) in slotTargets { put32(Int(slot), target) }

    // Symbols: functions and data with an address in the image; section and file records left out. An import
    // slot keeps the object's name for it (`__imp__ExAllocatePoolWithTag@12`, undecorated as KD does:
    // `_imp__ExAllocatePoolWithTag`), so `u` names an indirect call through it.
    var symbols: [KernelSymbol] = []
    for (i, sym) in object.symbols.enumerated() {
      guard let sym, let address = symbolAddress[i], address >= base, address - base < size else { continue }
      guard sym.storageClass == 2 || (sym.storageClass == 3 && sym.auxCount == 0) else { continue }
      guard !sym.name.hasPrefix("."), !sym.name.hasPrefix("$"), !sym.name.hasPrefix("@feat") else { continue }
      let isCode = sym.section > 0 && object.sections[Int(sym.section) - 1].isCode
      symbols.append(
        KernelSymbol(
          name: LoadedModule.undecorate(sym.name), address: address, size: 0,
          kind: isCode || sym.isFunction ? .function : .data, isStatic: sym.storageClass == 3))
    }
    symbols.sort { $0.address < $1.address }
    for i in symbols.indices {
      let next = i + 1 < symbols.count ? symbols[i + 1].address : base + offset
      symbols[i].size = next > symbols[i].address ? next - symbols[i].address : 0  // a symbol past the end: 0
    }
    let entry = symbols.first { $0.name == "DriverEntry" }?.address ?? 0
    let timestamp = object.timeDateStamp != 0 ? object.timeDateStamp : 0x4000_0000 | (object.checksum & 0x0fff_ffff)
    image.replaceSubrange(
      0..<0x200,
      with: PEHeader.build(
        base: base, sizeOfImage: size, timestamp: timestamp,
        checksum: object.checksum, entry: entry))
    try space.map(.init(base: base, size: size, writable: true, executable: true, kind: .image(module: name)))
    space.writeCode(base, image)
    return LoadedModule(
      name: name, imageName: name + ".sys", base: base, size: size, checksum: object.checksum,
      timestamp: timestamp, entryPoint: entry, symbols: symbols)
  }
}
