import Foundation
import KDImageFormat
import Testing

@testable import KDKernel

/// Drivers as the PE loader leaves them: sections with their protections, relocations when the preferred base is
/// taken, the IAT bound to nt's exports, symbols from the PDB, the loader list in memory.
@Suite struct LoadedDriverTests {
  static func image(_ path: String) throws -> PEImage {
    try PEImage(bytes: [UInt8](try Data(contentsOf: ScenarioImageTests.scenarios.appendingPathComponent(path))))
  }

  /// Each section is mapped at its RVA with the protection its characteristics give, its bytes as in the file
  /// (code is not relocated at its preferred base), and the header says where the image is.
  @Test func sectionsAreMappedWithTheirProtections() throws {
    let h = try Harness()
    let image = try Self.image("default/Abc.sys")
    let abc = try h.kernel.sync { c in c.modules().first { $0.name == "Abc" }! }
    #expect(abc.base == image.imageBase && abc.size == image.sizeOfImage)
    for s in image.sections {
      let region = try #require(try h.kernel.sync { c in c.queryRegion(abc.base + s.virtualAddress) })
      #expect(region.writable == s.isWritable && region.executable == s.isExecutable, "\(s.name)")
      #expect(region.kind == .image(module: "Abc"))
    }
    let text = try #require(image.sections.first { $0.name == ".text" })
    #expect(!text.isWritable && text.isExecutable)
    #expect(try h.read(abc.base + text.virtualAddress, Int(text.memorySize)) == image.data(of: text))
    let header = try h.read(abc.base, 0x400)
    let pe = Int(header[0x3c]) | Int(header[0x3d]) << 8
    #expect(Array(header[pe + 52..<pe + 56]) == withUnsafeBytes(of: abc.base.littleEndian, Array.init))
  }

  /// Every IAT slot holds the address of nt's export of the name the import table gives.
  @Test func importsAreBoundThroughTheIAT() throws {
    let h = try Harness()
    let image = try Self.image("default/Abc.sys")
    let ntImports = try #require(image.imports.first { $0.module == "ntoskrnl.exe" })
    #expect(ntImports.functions.count >= 5)
    for f in ntImports.functions {
      #expect(try h.readU32(image.imageBase + f.iatRVA) == (try h.nt(f.name ?? "")), "\(f.name ?? "")")
    }
    // The slot keeps the PDB's name for it, so `u` names an indirect call through it.
    let slot = try h.symbol("Abc", "_imp__ExAllocatePoolWithTag")
    #expect(try h.readU32(slot.address) == (try h.nt("ExAllocatePoolWithTag")))
  }

  /// In `spin`, Abc takes f7a00000 first, so Faulty (linked at f7a00000 too) is relocated: every HIGHLOW field
  /// holds the file's value plus the delta, and its code runs there (FaultySpin spins on its own global).
  @Test func anImageWhosePreferredBaseIsTakenIsRelocated() throws {
    let h = try Harness("spin")
    let image = try Self.image("faults/Faulty.sys")
    let faulty = try h.kernel.sync { c in c.modules().first { $0.name == "Faulty" }! }
    #expect(image.imageBase == 0xf7a0_0000 && faulty.base == 0xf7a1_0000)
    let delta = faulty.base &- image.imageBase
    #expect(image.relocations.count > 5)
    for rva in image.relocations {
      let original = try image.bytes(atRVA: rva, count: 4).enumerated().reduce(UInt32(0)) {
        $0 | UInt32($1.element) << (8 * UInt32($1.offset))
      }
      #expect(try h.readU32(faulty.base + rva) == original &+ delta, "fixup at RVA \(String(rva, radix: 16))")
    }
    // Its symbols moved with it, and its code runs there: FaultySpin counts in its relocated global.
    let count = try h.symbol("Faulty", "SpinCount").address
    #expect(count > faulty.base && count < faulty.base + faulty.size)
    try h.run(seconds: 1)
    #expect(try h.readU32(count) > 0)
  }

  /// A driver's symbols name the PDB they came from (as its CodeView record does, with its GUID and age); nt's are
  /// its exports; no module, no answer.
  @Test func symbolFileNamesThePDB() throws {
    let h = try Harness()
    let image = try Self.image("default/Abc.sys")
    let codeView = try #require(image.codeView)
    let (abc, nt) = try h.kernel.sync { c in (c.modules()[1].base, c.modules()[0].base) }
    let file = try h.kernel.sync { c in c.symbolFile(moduleBase: abc) }
    #expect(file == .some(SymbolFileInfo(pdbName: "Abc.pdb", guid: codeView.guid, age: codeView.age)))
    #expect(try h.kernel.sync { c in c.symbolFile(moduleBase: nt) } == .some(nil))
    #expect(try h.kernel.sync { c in c.symbolFile(moduleBase: 0x1000) } == nil)
  }

  /// The placement rule: the preferred base when free, else the lowest free 64 KB boundary above the others.
  @Test func placementTakesThePreferredBaseWhenFree() {
    let taken: [(base: UInt32, size: UInt32)] = [(0xf7a0_0000, 0x5000), (0xf7a1_0000, 0x12000)]
    #expect(ImageLoader.placement(preferred: 0xf7a4_0000, size: 0x4000, taken: taken) == 0xf7a4_0000)
    #expect(ImageLoader.placement(preferred: 0xf7a0_0000, size: 0x4000, taken: taken) == 0xf7a3_0000)
    #expect(ImageLoader.placement(preferred: 0x0001_0000, size: 0x4000, taken: []) == 0xf7a0_0000)
    #expect(ImageLoader.placement(preferred: 0xf7a0_0000, size: 0x0200_0000, taken: []) == nil)
  }

  /// PsLoadedModuleList walked with memory reads gives every module with its base, size and name.
  @Test func loadedModuleListIsWalkableFromMemory() throws {
    let h = try Harness()
    let head = try h.nt("PsLoadedModuleList")
    var names: [String] = []
    var entry = try h.readU32(head)
    while entry != head, names.count < 20 {
      let base = try h.readU32(entry + 0x18)
      let size = try h.readU32(entry + 0x20)
      let length = Int(try h.read(entry + 0x2c, 2)[0])
      let buffer = try h.readU32(entry + 0x30)
      let utf16 = try h.read(buffer, length)
      let name = String(
        decoding: stride(from: 0, to: length, by: 2).map { UInt16(utf16[$0]) | UInt16(utf16[$0 + 1]) << 8 },
        as: UTF16.self)
      names.append(name)
      let module = try h.kernel.sync { c in c.modules().first { $0.ldrEntry == entry } }
      #expect(module?.base == base && module?.size == size)
      #expect(try h.read(base, 2) == [0x4d, 0x5a])  // MZ
      entry = try h.readU32(entry)
    }
    #expect(names == ["ntoskrnl.exe", "Abc.sys", "Tron.sys", "IoN7.sys", "Gla5.sys", "Ggb.sys"])
    #expect(try h.kernel.sync { c in c.version() }.psLoadedModuleList == head)
  }

  /// Symbols are the PDB's publics, undecorated: functions, globals and the IAT slots.
  @Test func driverSymbolsIncludeGlobalsAndUndecoratedFunctions() throws {
    let h = try Harness()
    let symbols = try h.kernel.sync { c in c.symbols(moduleBase: c.modules()[1].base)! }
    let log = try #require(symbols.first { $0.name == "LogHead" })
    #expect(!log.isStatic && log.kind == .data)
    let worker = try #require(symbols.first { $0.name == "AbcLogWorker" })
    #expect(!worker.isStatic && worker.kind == .function && worker.size > 0)
    #expect(symbols.contains { $0.name == "DriverEntry" })
    // nt's exports are real stubs: push ebp; mov ebp,esp.
    let alloc = try h.symbol("nt", "ExAllocatePoolWithTag")
    #expect(try h.read(alloc.address, 3) == [0x55, 0x8b, 0xec])
  }

  /// The same seed gives the same run, also when the debugger reads memory all the while (each read
  /// stops the engine between two instructions).
  @Test func runsAreDeterministicForASeed() throws {
    func snapshot(readWhileRunning: Bool) throws -> [String: [UInt32]] {
      let h = try Harness()
      let before = h.haltCount
      try h.kernel.sync { c throws(KernelError) in
        c.haltAt(virtualTime: 200_000_000)
        try c.resume(singleStep: false)
      }
      if readWhileRunning {
        var reads = 0
        while h.haltCount == before {
          _ = try h.read(0x804d_a000, 4)
          reads += 1
        }
        #expect(reads > 10)
      }
      #expect(try h.waitForHalt(after: before).reason == .timeLimit)
      return try h.trackTable()
    }
    let quiet = try snapshot(readWhileRunning: false)
    #expect(try snapshot(readWhileRunning: false) == quiet)
    #expect(try snapshot(readWhileRunning: true) == quiet)
  }
}
