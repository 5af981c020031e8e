/// A PE32 (x86) image read from its file bytes, as Windows' loader reads one: headers, sections, base
/// relocations, imports (resolved through the IAT), exports and the CodeView (RSDS) record that names the PDB
/// whose GUID and age it matches. Sans-IO and bounds-checked: every RVA goes through the section table.
public struct PEImage: Sendable {
  public struct Section: Sendable, Equatable {
    public var name: String
    public var virtualAddress: UInt32
    public var virtualSize: UInt32
    public var rawOffset: UInt32
    public var rawSize: UInt32
    public var characteristics: UInt32
    public var isCode: Bool { characteristics & 0x20 != 0 }
    public var isExecutable: Bool { characteristics & 0x2000_0000 != 0 }
    public var isWritable: Bool { characteristics & 0x8000_0000 != 0 }
    /// Bytes the section occupies in memory (its virtual size, or its raw size when that is larger or the
    /// virtual size is 0).
    public var memorySize: UInt32 { virtualSize == 0 ? rawSize : virtualSize }
  }

  public struct ImportedFunction: Sendable, Equatable {
    /// The imported name (nil when imported by ordinal).
    public var name: String?
    public var ordinal: UInt16?
    public var hint: UInt16
    /// The IAT slot the loader fills with the function's address.
    public var iatRVA: UInt32
  }

  public struct Import: Sendable, Equatable {
    public var module: String
    public var functions: [ImportedFunction]
  }

  public struct Export: Sendable, Equatable {
    public var name: String?
    public var ordinal: UInt32
    public var rva: UInt32
  }

  /// The CodeView debug record: the PDB's GUID (as stored) and age, and the path the linker wrote.
  public struct CodeView: Sendable, Equatable {
    public var guid: [UInt8]
    public var age: UInt32
    public var pdbPath: String
  }

  public var machine: UInt16
  public var timeDateStamp: UInt32
  public var characteristics: UInt16
  public var imageBase: UInt32
  public var entryPointRVA: UInt32
  public var sizeOfImage: UInt32
  public var sizeOfHeaders: UInt32
  public var checksum: UInt32
  public var subsystem: UInt16
  public var sections: [Section]
  public var imports: [Import]
  public var exportedName: String?
  public var exports: [Export]
  /// RVAs of the 32-bit fields a rebase adds the delta to (IMAGE_REL_BASED_HIGHLOW).
  public var relocations: [UInt32]
  public var codeView: CodeView?
  private let file: [UInt8]

  static let part = "PE headers"
  /// Larger images are refused (no x86 kernel or driver comes near it), so a corrupt size cannot make a reader
  /// allocate gigabytes.
  public static let maxImageSize: UInt32 = 256 << 20

  public init(bytes: [UInt8]) throws(ImageFormatError) {
    file = bytes
    var r = ByteReader(bytes, stream: Self.part)
    let mz = try r.u16()
    guard mz == 0x5a4d else {
      throw .malformed(stream: Self.part, offset: 0, expected: "MZ", found: "0x" + String(mz, radix: 16))
    }
    r.offset = 0x3c
    let peAt = Int(try r.u32())
    r.offset = peAt
    let signature = try r.u32()
    guard signature == 0x4550 else {
      throw .malformed(
        stream: Self.part, offset: peAt, expected: "PE\\0\\0", found: "0x" + String(signature, radix: 16))
    }
    machine = try r.u16()
    let sectionCount = Int(try r.u16())
    timeDateStamp = try r.u32()
    try r.skip(8)
    let optionalSize = Int(try r.u16())
    characteristics = try r.u16()
    let optionalAt = r.offset
    let magic = try r.u16()
    guard magic == 0x10b else {
      throw .malformed(
        stream: Self.part, offset: optionalAt, expected: "PE32 optional header magic 0x10b",
        found: "0x" + String(magic, radix: 16))
    }
    r.offset = optionalAt + 16
    entryPointRVA = try r.u32()
    r.offset = optionalAt + 28
    imageBase = try r.u32()
    r.offset = optionalAt + 56
    sizeOfImage = try r.u32()
    sizeOfHeaders = try r.u32()
    checksum = try r.u32()
    subsystem = try r.u16()
    r.offset = optionalAt + 92
    let directoryCount = min(Int(try r.u32()), 16)
    var directories: [(rva: UInt32, size: UInt32)] = []
    for _ in 0..<directoryCount { directories.append((try r.u32(), try r.u32())) }
    guard 96 + directoryCount * 8 <= optionalSize else {
      throw .malformed(
        stream: Self.part, offset: optionalAt, expected: "an optional header holding its \(directoryCount) directories",
        found: "\(optionalSize) bytes")
    }
    r.offset = optionalAt + optionalSize
    var list: [Section] = []
    for _ in 0..<sectionCount {
      let name = try r.take(8)
      let virtualSize = try r.u32()
      let virtualAddress = try r.u32()
      let rawSize = try r.u32()
      let rawOffset = try r.u32()
      try r.skip(12)
      let flags = try r.u32()
      guard UInt64(rawOffset) + UInt64(rawSize) <= UInt64(bytes.count) || rawSize == 0 else {
        throw .malformed(
          stream: Self.part, offset: r.offset - 20, expected: "section data within the file's \(bytes.count) bytes",
          found: "0x\(String(rawOffset, radix: 16)) + 0x\(String(rawSize, radix: 16))")
      }
      list.append(
        Section(
          name: String(decoding: name.prefix { $0 != 0 }, as: UTF8.self), virtualAddress: virtualAddress,
          virtualSize: virtualSize, rawOffset: rawOffset, rawSize: rawSize, characteristics: flags))
    }
    guard sizeOfImage <= Self.maxImageSize else {
      throw .malformed(
        stream: Self.part, offset: optionalAt + 56, expected: "an image of at most \(Self.maxImageSize >> 20) MiB",
        found: "\(sizeOfImage) bytes")
    }
    for s in list where UInt64(s.virtualAddress) + UInt64(s.memorySize) > UInt64(sizeOfImage) {
      throw .malformed(
        stream: Self.part, offset: optionalAt + optionalSize,
        expected: "section \(s.name) within the image's \(sizeOfImage) bytes",
        found: "0x\(String(s.virtualAddress, radix: 16)) + 0x\(String(s.memorySize, radix: 16))")
    }
    sections = list
    func directory(_ i: Int) -> (rva: UInt32, size: UInt32)? {
      i < directories.count && directories[i].rva != 0 && directories[i].size != 0 ? directories[i] : nil
    }
    imports = []
    exports = []
    relocations = []
    if let d = directory(1) { imports = try readImports(d.rva) }
    if let d = directory(0) { (exportedName, exports) = try readExports(d.rva) }
    if let d = directory(5) { relocations = try readRelocations(d.rva, size: d.size) }
    if let d = directory(6) { codeView = try readCodeView(d.rva, size: d.size) }
  }

  // MARK: reading at RVAs

  /// The file offset of `rva` and how many bytes of file data follow it in its section (or the headers).
  func fileOffset(_ rva: UInt32, part: String) throws(ImageFormatError) -> (offset: Int, available: Int) {
    if rva < sizeOfHeaders, Int(rva) < file.count { return (Int(rva), min(Int(sizeOfHeaders), file.count) - Int(rva)) }
    for s in sections
    where rva >= s.virtualAddress && UInt64(rva) < UInt64(s.virtualAddress) + UInt64(max(s.memorySize, s.rawSize)) {
      let delta = rva - s.virtualAddress
      guard delta < s.rawSize else { throw .unmappedRVA(part: part, rva: rva) }  // in the zero-filled tail
      return (Int(s.rawOffset) + Int(delta), Int(s.rawSize - delta))
    }
    throw .unmappedRVA(part: part, rva: rva)
  }

  func reader(_ rva: UInt32, part: String) throws(ImageFormatError) -> ByteReader {
    let (offset, available) = try fileOffset(rva, part: part)
    return ByteReader(Array(file[offset..<offset + available]), stream: part)
  }

  func string(_ rva: UInt32, part: String) throws(ImageFormatError) -> String {
    var r = try reader(rva, part: part)
    return try r.cString()
  }

  /// What the image holds in memory from `rva` for `count` bytes (zero past a section's file data), as the
  /// loader maps it.
  public func bytes(atRVA rva: UInt32, count: Int) throws(ImageFormatError) -> [UInt8] {
    guard count >= 0, count <= Int(sizeOfImage) else {
      throw .malformed(
        stream: "image", offset: Int(rva), expected: "at most the image's \(sizeOfImage) bytes", found: "\(count)")
    }
    var out = [UInt8](repeating: 0, count: count)
    if let (offset, available) = try? fileOffset(rva, part: "image") {
      let n = min(available, count)
      out.replaceSubrange(0..<n, with: file[offset..<offset + n])
    }
    return out
  }

  /// A section's bytes as mapped: its file data, zero-filled up to its memory size.
  public func data(of section: Section) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(section.memorySize))
    let n = min(Int(section.rawSize), out.count)
    if n > 0 { out.replaceSubrange(0..<n, with: file[Int(section.rawOffset)..<Int(section.rawOffset) + n]) }
    return out
  }

  private func readImports(_ rva: UInt32) throws(ImageFormatError) -> [Import] {
    let part = "import directory"
    var r = try reader(rva, part: part)
    var out: [Import] = []
    while true {
      let lookup = try r.u32()
      try r.skip(8)
      let nameRVA = try r.u32()
      let iat = try r.u32()
      if lookup == 0 && nameRVA == 0 && iat == 0 { break }
      guard out.count < 4096 else {
        throw .malformed(
          stream: part, offset: Int(rva), expected: "a terminated descriptor list", found: "4096 descriptors")
      }
      var functions: [ImportedFunction] = []
      var thunks = try reader(lookup != 0 ? lookup : iat, part: part + " lookup table")
      var slot = iat
      while true {
        let entry = try thunks.u32()
        if entry == 0 { break }
        if entry & 0x8000_0000 != 0 {
          functions.append(ImportedFunction(name: nil, ordinal: UInt16(entry & 0xffff), hint: 0, iatRVA: slot))
        } else {
          var hintReader = try reader(entry, part: part + " name")
          let hint = try hintReader.u16()
          functions.append(ImportedFunction(name: try hintReader.cString(), ordinal: nil, hint: hint, iatRVA: slot))
        }
        guard let next = slot.addingReportingOverflowOrNil(4) else {
          throw .malformed(stream: part, offset: Int(iat), expected: "an IAT below 4 GiB", found: "one past it")
        }
        slot = next
      }
      out.append(Import(module: try string(nameRVA, part: part + " module name"), functions: functions))
    }
    return out
  }

  private func readExports(_ rva: UInt32) throws(ImageFormatError) -> (String?, [Export]) {
    let part = "export directory"
    var r = try reader(rva, part: part)
    try r.skip(12)
    let nameRVA = try r.u32()
    let base = try r.u32()
    let functionCount = Int(try r.u32())
    let nameCount = Int(try r.u32())
    let functionsRVA = try r.u32()
    let namesRVA = try r.u32()
    let ordinalsRVA = try r.u32()
    var functions = try reader(functionsRVA, part: part + " functions")
    guard functionCount <= functions.remaining / 4 else {
      throw .malformed(stream: part, offset: 20, expected: "functions within their section", found: "\(functionCount)")
    }
    var rvas: [UInt32] = []
    for _ in 0..<functionCount { rvas.append(try functions.u32()) }
    var names: [Int: String] = [:]
    if nameCount > 0 {
      var nameTable = try reader(namesRVA, part: part + " names")
      var ordinals = try reader(ordinalsRVA, part: part + " name ordinals")
      for _ in 0..<nameCount {
        let at = try nameTable.u32()
        let index = Int(try ordinals.u16())
        guard index < functionCount else {
          throw .malformed(
            stream: part, offset: 24, expected: "a name ordinal below \(functionCount)", found: "\(index)")
        }
        names[index] = try string(at, part: part + " name")
      }
    }
    let exports = rvas.enumerated().compactMap { i, rva -> Export? in
      rva == 0 ? nil : Export(name: names[i], ordinal: base &+ UInt32(i), rva: rva)
    }
    return (try? string(nameRVA, part: part + " image name"), exports)
  }

  private func readRelocations(_ rva: UInt32, size: UInt32) throws(ImageFormatError) -> [UInt32] {
    let part = "base relocations"
    var r = try reader(rva, part: part)
    guard Int(size) <= r.remaining else {
      throw .truncated(stream: part, offset: 0, needed: Int(size), available: r.remaining)
    }
    var out: [UInt32] = []
    while r.offset + 8 <= Int(size) {
      let at = r.offset
      let page = try r.u32()
      let blockSize = Int(try r.u32())
      guard blockSize >= 8, at + blockSize <= Int(size), blockSize % 2 == 0 else {
        throw .malformed(
          stream: part, offset: at, expected: "a block of 8 or more bytes within the directory", found: "\(blockSize)")
      }
      for _ in 0..<(blockSize - 8) / 2 {
        let entry = try r.u16()
        switch entry >> 12 {
        case 0: continue  // IMAGE_REL_BASED_ABSOLUTE: padding
        case 3: out.append(page &+ UInt32(entry & 0xfff))  // HIGHLOW
        default:
          throw .malformed(
            stream: part, offset: r.offset - 2, expected: "HIGHLOW (3) or ABSOLUTE (0) fixups on x86",
            found: "type \(entry >> 12)")
        }
      }
    }
    return out
  }

  private func readCodeView(_ rva: UInt32, size: UInt32) throws(ImageFormatError) -> CodeView? {
    let part = "debug directory"
    var r = try reader(rva, part: part)
    for _ in 0..<min(Int(size) / 28, 64) {
      try r.skip(12)
      let type = try r.u32()
      let dataSize = Int(try r.u32())
      let dataRVA = try r.u32()
      _ = try r.u32()
      guard type == 2, dataSize >= 24 else { continue }  // IMAGE_DEBUG_TYPE_CODEVIEW
      var cv = try reader(dataRVA, part: "CodeView record")
      let signature = try cv.u32()
      guard signature == 0x5344_5352 else { continue }  // "RSDS"
      let guid = try cv.take(16)
      let age = try cv.u32()
      return CodeView(guid: guid, age: age, pdbPath: try cv.cString())
    }
    return nil
  }
}

extension UInt32 {
  func addingReportingOverflowOrNil(_ other: UInt32) -> UInt32? {
    let (v, overflow) = addingReportingOverflow(other)
    return overflow ? nil : v
  }
}
