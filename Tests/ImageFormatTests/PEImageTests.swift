import Foundation
import KDTestSupport
import Testing

@testable import KDImageFormat

/// The PE reader against llvm-readobj on the fixture images (a driver importing from a stand-in ntoskrnl.exe), and
/// the driver's CodeView record against its PDB: the GUID and age a debugger matches.
@Suite struct PEImageTests {
  static let fixtures = PDBReaderTests.fixtures

  static func read(_ name: String) throws -> PEImage {
    let path = fixtures.appendingPathComponent(name).path
    return try PEImage(bytes: Array(try #require(FileManager.default.contents(atPath: path))))
  }

  static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }

  /// The facts llvm-readobj states, as the reader finds them.
  static func facts(_ image: PEImage) -> Set<String> {
    var out: Set<String> = [
      "machine \(hex(UInt32(image.machine)))", "sections \(image.sections.count)",
      "timestamp \(hex(image.timeDateStamp))", "characteristics \(hex(UInt32(image.characteristics)))",
      "entry \(hex(image.entryPointRVA))", "base \(hex(image.imageBase))", "size \(image.sizeOfImage)",
      "headers \(image.sizeOfHeaders)", "subsystem \(hex(UInt32(image.subsystem)))",
    ]
    for (i, s) in image.sections.enumerated() {
      out.insert(
        "section \(i + 1) \(s.name) va \(hex(s.virtualAddress)) vsize \(hex(s.virtualSize)) raw \(s.rawSize) at "
          + "\(hex(s.rawOffset)) flags \(hex(s.characteristics))")
    }
    for i in image.imports {
      for f in i.functions { out.insert("import \(i.module) \(f.name ?? "#\(f.ordinal ?? 0)") \(f.hint)") }
    }
    for e in image.exports { out.insert("export \(e.ordinal) \(e.name ?? "-") \(hex(e.rva))") }
    for r in image.relocations { out.insert("reloc \(hex(r))") }
    if let cv = image.codeView {
      let guid = cv.guid.map { String(format: "%02X", $0) }.joined(separator: " ")
      out.insert("codeview \(guid) age \(cv.age) \(cv.pdbPath)")
    }
    return out
  }

  static func dumpFacts(_ dump: String) -> Set<String> {
    var out: Set<String> = []
    var section: [String: String] = [:]
    var importModule: String?
    var export: (ordinal: String?, name: String?) = (nil, nil)
    var inReloc = false
    var pdb: (guid: String?, age: String?) = (nil, nil)
    for raw in dump.split(separator: "\n").map(String.init) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      func value(_ key: String) -> String? {
        line.hasPrefix(key + ": ") ? String(line.dropFirst(key.count + 2)) : nil
      }
      if let v = value("Machine") {
        out.insert("machine " + (v.firstMatch(of: #/\((0x[0-9A-F]+)\)/#).map { String($0.1) } ?? v))
      }
      if let v = value("SectionCount") { out.insert("sections \(v)") }
      if let v = value("TimeDateStamp"), let m = v.firstMatch(of: #/\((0x[0-9A-F]+)\)/#), section.isEmpty,
        pdb.guid == nil
      {
        out.insert("timestamp \(m.1)")
      }
      if line.hasPrefix("Characteristics [ ("), section.isEmpty, let m = line.firstMatch(of: #/\((0x[0-9A-F]+)\)/#) {
        if !out.contains(where: { $0.hasPrefix("characteristics ") }) { out.insert("characteristics \(m.1)") }
      }
      if let v = value("AddressOfEntryPoint") { out.insert("entry \(v)") }
      if let v = value("ImageBase") { out.insert("base \(v)") }
      if let v = value("SizeOfImage") { out.insert("size \(v)") }
      if let v = value("SizeOfHeaders") { out.insert("headers \(v)") }
      if let v = value("Subsystem"), let m = v.firstMatch(of: #/\((0x[0-9A-F]+)\)/#) { out.insert("subsystem \(m.1)") }
      if line == "Section {" { section = ["open": "1"] }
      for key in ["Number", "VirtualSize", "VirtualAddress", "RawDataSize", "PointerToRawData"] where !section.isEmpty {
        if let v = value(key) { section[key] = v }
      }
      if !section.isEmpty, let v = value("Name") { section["Name"] = String(v.split(separator: " ").first ?? "") }
      if !section.isEmpty, line.hasPrefix("Characteristics [ ("), let m = line.firstMatch(of: #/\((0x[0-9A-F]+)\)/#) {
        let s = section
        out.insert(
          "section \(s["Number"] ?? "?") \(s["Name"] ?? "?") va \(s["VirtualAddress"] ?? "?") vsize \(s["VirtualSize"] ?? "?") "
            + "raw \(s["RawDataSize"] ?? "?") at \(s["PointerToRawData"] ?? "?") flags \(m.1)")
        section = [:]
      }
      if line == "Import {" { importModule = "" }
      if importModule == "", let v = value("Name") { importModule = v }
      if let module = importModule, let v = value("Symbol"), let m = v.wholeMatch(of: #/(.*) \((\d+)\)/#) {
        out.insert("import \(module) \(m.1) \(m.2)")
      }
      if line == "}" { importModule = nil }
      if line == "Export {" { export = ("", nil) }
      if export.ordinal == "", let v = value("Ordinal") { export.ordinal = v }
      if export.ordinal != nil, let v = value("Name") { export.name = v }
      if let o = export.ordinal, !o.isEmpty, let v = value("RVA") {
        out.insert("export \(o) \(export.name ?? "-") \(v)")
        export = (nil, nil)
      }
      if line == "BaseReloc [" { inReloc = true }
      if inReloc, let v = value("Address") { out.insert("reloc \(v)") }
      if line == "]" { inReloc = false }
      if let v = value("PDBGUID") { pdb.guid = String(v.dropFirst().dropLast()) }
      if let v = value("PDBAge") { pdb.age = v }
      if let v = value("PDBFileName"), let guid = pdb.guid, let age = pdb.age {
        out.insert("codeview \(guid) age \(age) \(v)")
      }
    }
    return out
  }

  @Test(arguments: ["sample.sys", "ntoskrnl.exe"]) func agreesWithLlvmReadobj(file: String) throws {
    let readobj = try #require(
      PDBReaderTests.tool(["llvm-readobj", "llvm-readobj-14"]), "llvm-readobj (Debian's llvm) is needed")
    let path = Self.fixtures.appendingPathComponent(file).path
    let dump = run(
      readobj,
      [
        "--file-headers", "--sections", "--coff-imports", "--coff-exports", "--coff-basereloc",
        "--coff-debug-directory", path,
      ])
    #expect(dump.status == 0, "\(dump.stderr)")
    let expected = Self.dumpFacts(dump.stdout)
    let found = Self.facts(try Self.read(file))
    #expect(expected.count > 12, "the dump was parsed: \(expected.sorted())")
    #expect(found.subtracting(expected).sorted() == [], "the reader states what the dump does not")
    #expect(expected.subtracting(found).sorted() == [], "the dump states what the reader missed")
  }

  /// The driver names its PDB by GUID and age, and they are the PDB's: what symbol matching checks.
  @Test func codeViewRecordMatchesThePDB() throws {
    let image = try Self.read("sample.sys")
    let pdb = try PDBReaderTests.read(PDBReaderTests.sample)
    let cv = try #require(image.codeView)
    #expect(cv.guid == pdb.info.guid && cv.age == pdb.info.age && cv.pdbPath == "sample.pdb")
    // Imports from nt land in the IAT; the driver's export is SampleAllocate, in .text.
    let nt = try #require(image.imports.first)
    #expect(nt.module == "ntoskrnl.exe")
    #expect(nt.functions.compactMap(\.name) == ["_ExAllocatePoolWithTag@12", "_ExFreePoolWithTag@8"])
    let export = try #require(image.exports.first)
    let text = try #require(image.sections.first { $0.name == ".text" })
    #expect(export.name == "_SampleAllocate@4" && export.rva >= text.virtualAddress)
    #expect(try image.bytes(atRVA: export.rva, count: 1) == [0x55])  // push ebp
    // The public symbol for the same function is at the same RVA.
    let sample = try #require(pdb.publics.first { $0.name == "_SampleAllocate@4" })
    #expect(sample.rva(pdb.sections) == export.rva)
  }

  @Test func malformedImagesAreTypedErrors() throws {
    let good = Array(
      try #require(FileManager.default.contents(atPath: Self.fixtures.appendingPathComponent("sample.sys").path)))
    #expect(throws: ImageFormatError.self) { try PEImage(bytes: Array(good.prefix(0x40))) }
    for length in stride(from: 0, to: good.count, by: 97) {
      _ = try? PEImage(bytes: Array(good.prefix(length)))
    }
    // Each header and directory byte set to 0xff in turn: an error or an image, never a trap.
    for at in 0..<min(0x400, good.count) {
      var bytes = good
      bytes[at] = 0xff
      if let image = try? PEImage(bytes: bytes) {
        _ = Self.facts(image)
        for s in image.sections { _ = image.data(of: s) }
      }
    }
  }
}
