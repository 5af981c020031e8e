// libFuzzer target for the PDB reader: the MSF container, the info, DBI, publics and TPI streams, and the type
// walks `dt` will use. Built as KDProtocolFuzz is (scripts/fuzz.sh; docs/KERNEL.md, "PDB reader"); built
// normally it replays the files given on the command line.
import Foundation
import KDFuzzHarness
import KDPDB

/// Reads `data` as a PDB and, when it reads, walks every part: nothing may trap, and every failure is a PDBError.
func fuzzOne(_ data: [UInt8]) {
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

/// The checked-in sample PDB (Tests/PDBTests/Fixtures), so the fuzzer starts past the magic.
func seeds() -> [[UInt8]] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let path = root.appendingPathComponent("Tests/PDBTests/Fixtures/sample.pdb").path
  return FileManager.default.contents(atPath: path).map { [Array($0)] } ?? []
}

FuzzHarness.run(name: "KDPDBFuzz", seeds: seeds, fuzzOne: fuzzOne)
