/// Stream 1, the PDB information stream: what a debugger matches against an image's CodeView (RSDS) record
/// (the GUID and age), and the named streams (`/names`, …).
public struct PDBInfo: Sendable, Equatable {
  public var version: UInt32
  /// Seconds since 1970 for old linkers; a content hash for reproducible ones.
  public var signature: UInt32
  public var age: UInt32
  /// The 16 GUID bytes as stored (Data1, Data2 and Data3 little-endian).
  public var guid: [UInt8]
  public var namedStreams: [String: Int]

  static let stream = "PDB info stream"

  init(_ bytes: [UInt8]) throws(ImageFormatError) {
    var r = ByteReader(bytes, stream: Self.stream)
    version = try r.u32()
    signature = try r.u32()
    age = try r.u32()
    guid = try r.take(16)
    // Named stream map: a string buffer, then a hash table of (offset in the buffer, stream number).
    let bufferSize = try r.count(itemSize: 1, what: "a name buffer size")
    let buffer = try r.take(bufferSize)
    let size = try r.u32()
    let capacity = try r.u32()
    let present = try Self.bitVector(&r)
    _ = try Self.bitVector(&r)  // deleted
    guard size <= capacity, present.count <= Int(capacity) + 32 else {
      throw .malformed(
        stream: Self.stream, offset: r.offset, expected: "a hash table of at most its capacity",
        found: "size \(size), capacity \(capacity)")
    }
    var named: [String: Int] = [:]
    for bucket in present.indices where present[bucket] {
      let key = Int(try r.u32())
      let value = try r.u32()
      guard key < buffer.count else {
        throw .malformed(
          stream: Self.stream, offset: r.offset - 8, expected: "a name offset below \(buffer.count)", found: "\(key)")
      }
      let name = buffer[key...].prefix { $0 != 0 }
      named[String(decoding: name, as: UTF8.self)] = Int(value)
    }
    namedStreams = named
  }

  private static func bitVector(_ r: inout ByteReader) throws(ImageFormatError) -> [Bool] {
    let words = try r.count(itemSize: 4, what: "a bit vector's word count")
    var bits: [Bool] = []
    bits.reserveCapacity(words * 32)
    for _ in 0..<words {
      let w = try r.u32()
      for b in 0..<32 { bits.append(w & (1 << UInt32(b)) != 0) }
    }
    return bits
  }

  /// `{381A0420-9024-32B2-4C4C-44205044422E}`, as llvm-pdbutil and Microsoft's tools print it.
  public var guidString: String {
    func hex(_ bytes: ArraySlice<UInt8>) -> String {
      bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
    }
    let g = guid
    return "{" + hex(g[0..<4].reversed()[...]) + "-" + hex(g[4..<6].reversed()[...]) + "-"
      + hex(g[6..<8].reversed()[...]) + "-" + hex(g[8..<10]) + "-" + hex(g[10..<16]) + "}"
  }

  /// The symbol-store directory name of this PDB: GUID digits without punctuation, then the age in hex
  /// (`name.pdb/381A0420903232B24C4C44205044422E1/name.pdb`).
  public var symbolStoreKey: String {
    guidString.filter { $0.isHexDigit } + String(age, radix: 16, uppercase: true)
  }
}
