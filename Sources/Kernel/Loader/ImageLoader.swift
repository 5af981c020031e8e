import Foundation
import KDImageFormat

/// Maps a driver's PE image as Windows' loader does (MmLoadSystemImage): the headers and each section on
/// their own pages with the section's protection, base relocations applied when the image is not at its
/// preferred base, every import bound through the IAT to nt's export and the image's exports recorded. The
/// symbols come from the image's PDB (``PDBSymbols``) when there is one, else from its exports.
enum ImageLoader {
  static let maxImageSize: UInt32 = 16 << 20

  /// Where an image of `size` bytes asking for `preferred` goes in the driver area: there when that range is
  /// free, else at the lowest free 64 KB boundary. `taken` are the loaded modules' ranges.
  static func placement(preferred: UInt32, size: UInt32, taken: [(base: UInt32, size: UInt32)]) -> UInt32? {
    let low = UInt64(KernelLayout.driverBase)
    let high = UInt64(KernelLayout.stackArea)
    func fits(_ base: UInt64) -> Bool {
      base >= low && base + UInt64(size) <= high
        && !taken.contains { UInt64($0.base) < base + UInt64(size) && base < UInt64($0.base) + UInt64($0.size) }
    }
    if preferred % KernelLayout.pageSize == 0, fits(UInt64(preferred)) { return preferred }
    var candidate = low
    while candidate + UInt64(size) <= high {
      if fits(candidate) { return UInt32(candidate) }
      let blocking = taken.filter {
        UInt64($0.base) < candidate + UInt64(size) && candidate < UInt64($0.base) + UInt64($0.size)
      }
      let end = blocking.map { UInt64($0.base) + UInt64($0.size) }.max() ?? candidate + 1
      candidate = (end + 0xffff) & ~0xffff
    }
    return nil
  }

  /// The image at `url` and the PDB its CodeView record names, from the image's directory when it is there
  /// (a missing PDB leaves the exports as symbols; one that does not match the image is refused).
  static func read(_ url: URL) throws(KernelError) -> (PEImage, PDBFile?) {
    let image = try parse(url, as: PEImage.init(bytes:))
    guard let codeView = image.codeView else { return (image, nil) }
    let pdbName = PDBSymbols.fileName(codeView.pdbPath)
    let pdbURL = url.deletingLastPathComponent().appendingPathComponent(pdbName)
    guard !pdbName.isEmpty, FileManager.default.fileExists(atPath: pdbURL.path) else { return (image, nil) }
    let pdb = try parse(pdbURL, as: PDBFile.init(bytes:))
    guard pdb.info.guid == codeView.guid, pdb.info.age == codeView.age else {
      throw .malformedImage(
        file: pdbURL.path, reason: "its GUID and age do not match the CodeView record of \(url.lastPathComponent)")
    }
    return (image, pdb)
  }

  /// A file read whole and parsed by a KDImageFormat reader, whose evidence a refusal carries.
  static func parse<T>(_ url: URL, as reader: ([UInt8]) throws(ImageFormatError) -> T) throws(KernelError) -> T {
    let bytes = try ScenarioManifest.readFile(url)
    do {
      return try reader(bytes)
    } catch {
      throw .malformedImage(file: url.path, reason: "\(error)")
    }
  }

  static func load(
    _ image: PEImage, pdb: PDBFile?, file: String, name: String, taken: [(base: UInt32, size: UInt32)], nt: NtModule,
    space: AddressSpace
  ) throws(KernelError) -> LoadedModule {
    func fail(_ reason: String) -> KernelError { .malformedImage(file: file, reason: reason) }
    guard image.machine == 0x14c else { throw fail("machine 0x\(hex(UInt32(image.machine))), expected 0x14c (i386)") }
    let page = KernelLayout.pageSize
    guard image.sizeOfImage > 0, image.sizeOfImage <= Self.maxImageSize else {
      throw fail("SizeOfImage 0x\(hex(image.sizeOfImage)) is not in 1...\(Self.maxImageSize >> 20) MiB")
    }
    let size = image.sizeOfImage.roundedUp(to: page)
    guard let base = placement(preferred: image.imageBase, size: size, taken: taken) else {
      throw fail("no room left in the driver area (f7a00000-f8a00000) for \(size) bytes")
    }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    do {
      let headers = try image.bytes(atRVA: 0, count: Int(min(image.sizeOfHeaders, size)))
      bytes.replaceSubrange(0..<headers.count, with: headers)
    } catch {
      throw fail("headers: \(error)")
    }

    // Sections: page-aligned, inside the image, not overlapping one another or the headers.
    var mapped: [(start: UInt32, end: UInt32, writable: Bool, executable: Bool)] = [
      (0, min(max(image.sizeOfHeaders, 1), size).roundedUp(to: page), false, false)
    ]
    for s in image.sections where s.memorySize > 0 {
      let end = UInt64(s.virtualAddress) + UInt64(s.memorySize)
      guard s.virtualAddress % page == 0, end <= UInt64(size) else {
        throw fail(
          "section \(s.name) at RVA 0x\(hex(s.virtualAddress)) (0x\(hex(s.memorySize)) bytes) is not page-aligned inside the image"
        )
      }
      let range = (start: s.virtualAddress, end: UInt32(end).roundedUp(to: page))
      guard !mapped.contains(where: { $0.start < range.end && range.start < $0.end }) else {
        throw fail("section \(s.name) at RVA 0x\(hex(s.virtualAddress)) overlaps another section or the headers")
      }
      mapped.append((range.start, range.end, s.isWritable, s.isExecutable))
      bytes.replaceSubrange(Int(s.virtualAddress)..<Int(end), with: image.data(of: s))
    }

    // Every field the loader touches is named by the image: checked against its size before it is read.
    func field(_ rva: UInt32, what: String) throws(KernelError) -> Int {
      guard UInt64(rva) + 4 <= UInt64(bytes.count) else { throw fail("\(what) at RVA 0x\(hex(rva)) is past the image") }
      return Int(rva)
    }
    func get32(_ rva: UInt32, what: String) throws(KernelError) -> UInt32 {
      let o = try field(rva, what: what)
      return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[o + $1]) << (8 * UInt32($1)) }
    }
    func put32(_ rva: UInt32, _ v: UInt32, what: String) throws(KernelError) {
      let o = try field(rva, what: what)
      for k in 0..<4 { bytes[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    // Base relocations: add the delta to every HIGHLOW field; an image without them must sit at its base.
    let delta = base &- image.imageBase
    if delta != 0 {
      guard image.characteristics & 0x0001 == 0 else {
        throw fail(
          "relocations stripped, and its preferred base \(hex(image.imageBase)) is taken (loaded at \(hex(base)))")
      }
      for rva in image.relocations {
        try put32(rva, try get32(rva, what: "base relocation") &+ delta, what: "base relocation")
      }
    }
    // The mapped header says where the image is, as the loader leaves it.
    try put32(try get32(0x3c, what: "e_lfanew") &+ 24 &+ 28, base, what: "OptionalHeader.ImageBase")

    // Imports: each IAT slot bound to nt's export of that name.
    for module in image.imports {
      for f in module.functions {
        let symbol = "\(module.module)!\(f.name ?? "#\(f.ordinal ?? 0)")"
        guard module.module.lowercased() == "ntoskrnl.exe", let name = f.name, let address = nt.exports[name] else {
          throw .unresolvedImport(file: file, symbol: symbol)
        }
        try put32(f.iatRVA, address, what: "IAT slot of \(symbol)")
      }
    }

    guard image.entryPointRVA != 0, image.entryPointRVA < size else {
      throw fail("entry point RVA 0x\(hex(image.entryPointRVA)) is not in the image")
    }
    for r in mapped {
      try space.map(
        .init(
          base: base + r.start, size: r.end - r.start, writable: r.writable, executable: r.executable,
          kind: .image(module: name)))
      space.writeCode(base + r.start, Array(bytes[Int(r.start)..<Int(r.end)]))
    }

    let exports = image.exports.compactMap { e in e.name.map { ($0, base &+ e.rva) } }
    let symbols =
      pdb.map { PDBSymbols.symbols(of: $0, base: base, imageSize: size) }
      ?? PDBSymbols.sized(
        exports.map { KernelSymbol(name: $0.0, address: $0.1, size: 0, kind: .function, isStatic: false) },
        end: base + size)
    var module = LoadedModule(
      name: name, imageName: name + ".sys", base: base, size: size, checksum: image.checksum,
      timestamp: image.timeDateStamp, entryPoint: base + image.entryPointRVA, symbols: symbols)
    module.symbolFile = pdb.map {
      SymbolFileInfo(
        pdbName: image.codeView.map { PDBSymbols.fileName($0.pdbPath) } ?? "", guid: $0.info.guid, age: $0.info.age)
    }
    return module
  }
}
