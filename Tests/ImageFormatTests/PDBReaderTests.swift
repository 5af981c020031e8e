import Foundation
import KDTestSupport
import Testing

@testable import KDImageFormat

/// The PDB reader against llvm-pdbutil, on the checked-in fixture and on a fresh build of its source where clang
/// and lld-link are present: every type record, public and section the dump lists, the reader finds the same.
@Suite struct PDBReaderTests {
  static let fixtures = packageRoot.appendingPathComponent("Tests/ImageFormatTests/Fixtures")
  static let sample = fixtures.appendingPathComponent("sample.pdb").path

  static func tool(_ names: [String]) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/usr/local/bin"
    for name in names {
      for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
        return "\(dir)/\(name)"
      }
    }
    return nil
  }

  static func read(_ path: String) throws -> PDBFile {
    let bytes = try #require(FileManager.default.contents(atPath: path), "cannot read \(path)")
    return try PDBFile(bytes: Array(bytes))
  }

  // MARK: facts, as llvm-pdbutil dumps them and as the reader finds them

  static func hex(_ v: UInt32, _ width: Int = 4) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, width - s.count)) + s
  }

  /// One line per fact the dump states: identity, publics, sections, and per type record its kind and fields.
  static func facts(of pdb: PDBFile) throws -> Set<String> {
    var out: Set<String> = [
      "signature \(pdb.info.signature)", "age \(pdb.info.age)", "guid \(pdb.info.guidString)",
    ]
    for p in pdb.publics {
      let names = [(1, "code"), (2, "function"), (4, "managed"), (8, "msil")].filter { p.flags & UInt32($0.0) != 0 }
      let flags = names.isEmpty ? "none" : names.map(\.1).joined(separator: " | ")
      out.insert("public \(p.name) \(flags) \(String(format: "%04d:%04d", p.section, p.offset))")
    }
    for (i, s) in pdb.sections.enumerated() {
      out.insert(
        "section \(i + 1) \(s.name) va \(String(s.virtualAddress, radix: 16)) size \(String(s.virtualSize, radix: 16))")
    }
    for index in pdb.types.indices {
      let kind = try #require(pdb.types.kind(index))
      let at = hex(index)
      out.insert("\(at) \(TypeRecord.kindName(kind))")
      switch try pdb.types.record(index) {
      case .structure(let a)?, .union(let a)?:
        let fields = a.fieldList == 0 ? "none" : hex(a.fieldList)
        out.insert("\(at) aggregate \(a.name) forward \(a.isForwardReference) size \(a.size) fields \(fields)")
      case .enumeration(let e)?:
        out.insert("\(at) enum \(e.name) fields \(hex(e.fieldList)) underlying \(hex(e.underlyingType))")
      case .fieldList(let fields)?:
        for f in fields {
          switch f {
          case .member(let name, let type, let offset, _): out.insert("\(at) member \(name) \(hex(type)) \(offset)")
          case .enumerate(let name, let value, _): out.insert("\(at) enumerate \(name) \(value)")
          default: out.insert("\(at) unknown field")
          }
        }
      case .bitfield(let type, let length, let position)?:
        out.insert("\(at) bitfield \(hex(type)) \(position) \(length)")
      case .pointer(let referent, _)?: out.insert("\(at) pointer \(hex(referent))")
      case .modifier(let type, _)?: out.insert("\(at) modifier \(hex(type))")
      case .array(let element, let indexType, let size)?:
        out.insert("\(at) array \(hex(element)) \(hex(indexType)) \(size)")
      case .procedure(let ret, _, let count, let list)?: out.insert("\(at) procedure \(hex(ret)) \(count) \(hex(list))")
      case .argumentList(let args)?: out.insert("\(at) arguments \(args.map { hex($0) }.joined(separator: ","))")
      default: break
      }
    }
    return out
  }

  /// The same facts, read from `llvm-pdbutil dump -summary -publics -section-headers -types`.
  static func dumpFacts(_ dump: String) -> Set<String> {
    var out: Set<String> = []
    var record: (index: String, kind: String)?
    var publicName: String?
    var section: (number: Int, name: String?, size: String?)?
    var arguments: [String] = []
    func flushArguments() {
      if let r = record, r.kind == "LF_ARGLIST" {
        out.insert("\(r.index) arguments \(arguments.joined(separator: ","))")
      }
      arguments = []
    }
    for raw in dump.split(separator: "\n").map(String.init) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if let m = line.wholeMatch(of: #/Signature: (\d+)/#) { out.insert("signature \(m.1)") }
      if let m = line.wholeMatch(of: #/Age: (\d+)/#) { out.insert("age \(m.1)") }
      if let m = line.wholeMatch(of: #/GUID: (\{.*\})/#) { out.insert("guid \(m.1)") }
      if let m = line.wholeMatch(of: #/\d+ \| S_PUB32 \[size = \d+\] `(.*)`/#) { publicName = String(m.1) }
      if let m = line.wholeMatch(of: #/flags = (.*), addr = (\d{4}:\d{4})/#), let name = publicName {
        out.insert("public \(name) \(m.1) \(m.2)")
        publicName = nil
      }
      if let m = line.wholeMatch(of: #/SECTION HEADER #(\d+)/#) { section = (Int(m.1)!, nil, nil) }
      if let m = line.wholeMatch(of: #/(\S+) name/#), section != nil { section?.name = String(m.1) }
      if let m = line.wholeMatch(of: #/([0-9A-F]+) virtual size/#) { section?.size = String(m.1).lowercased() }
      if let m = line.wholeMatch(of: #/([0-9A-F]+) virtual address/#), let s = section, let name = s.name,
        let size = s.size
      {
        out.insert("section \(s.number) \(name) va \(String(m.1).lowercased()) size \(size)")
        section = nil
      }
      if let m = line.wholeMatch(of: #/(0x[0-9A-F]+) \| (LF_\w+) \[size = \d+\](?: `(.*)`)?/#) {
        flushArguments()
        record = (String(m.1), String(m.2))
        out.insert("\(m.1) \(m.2)")
        if let name = m.3 { record = (String(m.1), String(m.2) + " " + name) }
        continue
      }
      guard let r = record else { continue }
      let kind = r.kind.split(separator: " ").first.map(String.init) ?? ""
      let name = r.kind.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
      switch kind {
      case "LF_STRUCTURE", "LF_UNION", "LF_CLASS":
        if let m = line.wholeMatch(of: #/.*field list: (0x[0-9A-F]+|<no type>)/#) {
          record = (r.index, r.kind + "|" + (m.1 == "<no type>" ? "none" : String(m.1)))
        }
        if let m = line.wholeMatch(of: #/options: (.*), sizeof (\d+)/#) {
          let fields = r.kind.split(separator: "|").last.map(String.init) ?? "none"
          let aggregateName = name.split(separator: "|").first.map(String.init) ?? name
          out.insert(
            "\(r.index) aggregate \(aggregateName) forward \(m.1.contains("forward ref")) size \(m.2) fields \(fields)")
        }
      case "LF_ENUM":
        if let m = line.wholeMatch(of: #/field list: (0x[0-9A-F]+), underlying type: (0x[0-9A-F]+).*/#) {
          out.insert("\(r.index) enum \(name) fields \(m.1) underlying \(m.2)")
        }
      case "LF_FIELDLIST":
        if let m = line.wholeMatch(
          of: #/- LF_MEMBER \[name = `(.*)`, Type = (0x[0-9A-F]+).*, offset = (\d+), attrs = .*\]/#)
        {
          out.insert("\(r.index) member \(m.1) \(m.2) \(m.3)")
        } else if let m = line.wholeMatch(of: #/- LF_ENUMERATE \[(.*) = (-?\d+)\]/#) {
          out.insert("\(r.index) enumerate \(m.1) \(m.2)")
        } else if line.hasPrefix("- ") {
          out.insert("\(r.index) unknown field")
        }
      case "LF_BITFIELD":
        if let m = line.wholeMatch(of: #/type = (0x[0-9A-F]+).*, bit offset = (\d+), # bits = (\d+)/#) {
          out.insert("\(r.index) bitfield \(m.1) \(m.2) \(m.3)")
        }
      case "LF_POINTER":
        if let m = line.wholeMatch(of: #/referent = (0x[0-9A-F]+).*, mode = .*/#) {
          out.insert("\(r.index) pointer \(m.1)")
        }
      case "LF_MODIFIER":
        if let m = line.wholeMatch(of: #/referent = (0x[0-9A-F]+).*, modifiers = .*/#) {
          out.insert("\(r.index) modifier \(m.1)")
        }
      case "LF_ARRAY":
        if let m = line.wholeMatch(of: #/size: (\d+), index type: (0x[0-9A-F]+).*, element type: (0x[0-9A-F]+).*/#) {
          out.insert("\(r.index) array \(m.3) \(m.2) \(m.1)")
        }
      case "LF_PROCEDURE":
        if let m = line.wholeMatch(of: #/return type = (0x[0-9A-F]+).*, # args = (\d+), param list = (0x[0-9A-F]+)/#) {
          out.insert("\(r.index) procedure \(m.1) \(m.2) \(m.3)")
        }
      case "LF_ARGLIST":
        if let m = line.wholeMatch(of: #/(0x[0-9A-F]+)(?: \(.*\))?: `.*`/#) { arguments.append(String(m.1)) }
      default: break
      }
    }
    flushArguments()
    return out
  }

  static func compareWithDump(_ path: String) throws {
    let pdbutil = try #require(tool(["llvm-pdbutil", "llvm-pdbutil-14"]), "llvm-pdbutil (Debian's llvm) is needed")
    let dump = run(pdbutil, ["dump", "-summary", "-publics", "-section-headers", "-types", path])
    #expect(dump.status == 0, "\(dump.stderr)")
    let expected = dumpFacts(dump.stdout)
    let found = try facts(of: try read(path))
    #expect(expected.count > 60, "the dump was parsed: \(expected.sorted())")
    #expect(found.subtracting(expected).sorted() == [], "the reader states what the dump does not")
    #expect(expected.subtracting(found).sorted() == [], "the dump states what the reader missed")
  }

  @Test func fixtureAgreesWithLlvmPdbutil() throws {
    try Self.compareWithDump(Self.sample)
  }

  /// Wherever the toolchain can build them (clang and lld-link come with the Swift toolchain), fresh images and
  /// PDBs from the fixture's sources read the same way.
  @Test func freshBuildAgreesWithLlvmPdbutil() throws {
    guard Self.tool(["clang"]) != nil, Self.tool(["lld-link"]) != nil else { return }
    let dir = makeTemporaryDirectory("pdb")
    let build = run("/bin/bash", [Self.fixtures.appendingPathComponent("build.sh").path, dir])
    #expect(build.status == 0, "\(build.stderr)")
    try Self.compareWithDump("\(dir)/sample.pdb")
  }

  /// XP's `_POOL_HEADER` as written in C: the bit fields, their positions and the tag's union.
  @Test func poolHeaderLayout() throws {
    let pdb = try Self.read(Self.sample)
    let members = try #require(try pdb.members(of: "_POOL_HEADER"))
    let shape = members.map { m in
      "\(m.offset) \(m.name) \(m.typeName)" + (m.bitLength.map { " bits \(m.bitPosition!):\($0)" } ?? "")
    }
    #expect(
      shape == [
        "0 PreviousSize unsigned short bits 0:9", "0 PoolIndex unsigned short bits 9:7",
        "2 BlockSize unsigned short bits 0:9", "2 PoolType unsigned short bits 9:7", "0 Ulong1 unsigned long",
        "4 PoolTag unsigned long", "4 AllocatorBackTraceIndex unsigned short", "6 PoolTagHash unsigned short",
      ])
    #expect(try pdb.aggregate(named: "_POOL_HEADER")?.aggregate.size == 8)
    let object = try #require(try pdb.members(of: "_SAMPLE_OBJECT"))
    #expect(
      object.map { "\($0.offset) \($0.name) \($0.typeName)" } == [
        "0 ImageFileName unsigned char[16]", "16 Links _LIST_ENTRY", "24 Type _POOL_TYPE",
        "28 Counter const volatile unsigned long*", "32 Callback <function>*", "36 Name _UNICODE_STRING",
        "44 Track _POOL_TRACKER_TABLE[4]",
      ])
    #expect(try pdb.aggregate(named: "_SAMPLE_OBJECT")?.aggregate.size == 44 + 4 * 28)
    // Publics resolve to RVAs through the section headers.
    let entry = try #require(pdb.publics.first { $0.name == "_DriverEntry@8" })
    #expect(entry.isFunction && entry.rva(pdb.sections).map { $0 >= 0x1000 } == true)
    #expect(pdb.info.symbolStoreKey.count == 33 && pdb.info.symbolStoreKey.hasSuffix("1"))
  }

  /// Truncated and corrupted files end in a typed error naming what was wrong, never a trap.
  @Test func malformedFilesAreTypedErrors() throws {
    let good = Array(try #require(FileManager.default.contents(atPath: Self.sample)))
    #expect(throws: ImageFormatError.notMSF(found: Array("MZ".utf8) + Array(good[2..<32]))) {
      try PDBFile(bytes: Array("MZ".utf8) + Array(good.dropFirst(2)))
    }
    var badSize = good
    badSize[32] = 0xe8
    badSize[33] = 0x03  // 1000
    #expect(throws: ImageFormatError.badBlockSize(1000)) { try PDBFile(bytes: badSize) }
    var badMap = good
    badMap[52] = 0xff
    badMap[53] = 0xff  // block map address past the file
    #expect(throws: ImageFormatError.self) { try PDBFile(bytes: badMap) }
    for length in stride(from: 0, to: good.count, by: 509) {
      do {
        _ = try PDBFile(bytes: Array(good.prefix(length)))
        Issue.record("a PDB cut to \(length) bytes read as whole")
      } catch {
        #expect(!error.description.isEmpty)
      }
    }
    // Every byte of the superblock and of the directory's first words, set to 0xff in turn: an error or a
    // file that still reads, never a trap or a huge allocation.
    let directoryBlock = Int(UInt32(good[52]) | UInt32(good[53]) << 8) * 4096
    let mapped = Int(UInt32(good[directoryBlock]) | UInt32(good[directoryBlock + 1]) << 8) * 4096
    for at in Array(32..<56) + Array(mapped..<mapped + 96) {
      var bytes = good
      bytes[at] = 0xff
      if let pdb = try? PDBFile(bytes: bytes) { _ = try? Self.facts(of: pdb) }
    }
  }
}
