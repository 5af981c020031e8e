// libFuzzer target for the PE and PDB readers: headers, sections, imports, exports, base relocations and the
// CodeView record of an image; the MSF container, the info, DBI, publics and TPI streams of a PDB, and the type
// walks `dt` will use. Built as KDProtocolFuzz is (scripts/fuzz.sh; docs/KERNEL.md, "PE and PDB readers"); built
// normally it replays the files given on the command line.
import Foundation
import KDFuzzHarness
import KDImageFormat

/// Reads `data` as a PE image and as a PDB and, where it reads, walks every part: nothing may trap, and every
/// failure is an ImageFormatError.
func fuzzOne(_ data: [UInt8]) {
  if let image = try? PEImage(bytes: data) {
    for s in image.sections { _ = image.data(of: s) }
    _ = try? image.bytes(atRVA: image.entryPointRVA, count: 16)
  }
  guard let pdb = try? PDBFile(bytes: data) else { return }
  _ = pdb.info.guidString
  _ = pdb.info.symbolStoreKey
  for p in pdb.publics { _ = p.rva(pdb.sections) }
  for index in pdb.types.indices.prefix(4096) {
    _ = try? pdb.types.record(index)
    _ = try? pdb.typeName(index)
    _ = try? pdb.size(of: index)
  }
  for name in pdb.aggregateNames.prefix(256) { _ = try? pdb.members(of: name) }
  for i in 0..<min(pdb.msf.streamCount, 64) { _ = try? pdb.msf.stream(i) }
}

/// The checked-in fixtures (Tests/ImageFormatTests/Fixtures), so the fuzzer starts past the magic numbers.
func seeds() -> [[UInt8]] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  return ["sample.pdb", "sample.sys", "ntoskrnl.exe"].compactMap { name in
    FileManager.default.contents(atPath: root.appendingPathComponent("Tests/ImageFormatTests/Fixtures/" + name).path)
      .map(Array.init)
  }
}

FuzzHarness.run(name: "KDImageFormatFuzz", seeds: seeds, fuzzOne: fuzzOne)
