/// The Multi-Stream File container a PDB is: fixed-size blocks, a superblock, and a directory listing each
/// stream's size and blocks. Streams are assembled on request; a stream can never be larger than the file, so a
/// directory that repeats blocks cannot make a reader allocate more than the file holds.
public struct MSFFile: Sendable {
  static let magic: [UInt8] = Array("Microsoft C/C++ MSF 7.00\r\n".utf8) + [0x1a, 0x44, 0x53, 0, 0, 0]

  public let blockSize: Int
  public let blockCount: Int
  /// Each stream's size in bytes; nil for a stream the directory lists as absent (0xFFFFFFFF).
  public let streamSizes: [Int?]
  private let blocks: [[UInt32]]
  private let data: [UInt8]

  public var streamCount: Int { streamSizes.count }

  public init(bytes: [UInt8]) throws(ImageFormatError) {
    data = bytes
    var r = ByteReader(bytes, stream: "MSF superblock")
    let found = try r.take(Self.magic.count)
    guard found == Self.magic else { throw .notMSF(found: found) }
    let size = try r.u32()
    guard [512, 1024, 2048, 4096].contains(size) else { throw .badBlockSize(size) }
    blockSize = Int(size)
    _ = try r.u32()  // free block map block
    let declared = Int(try r.u32())
    blockCount = min(declared, bytes.count / blockSize)
    let directoryBytes = Int(try r.u32())
    _ = try r.u32()
    let blockMapAddress = try r.u32()
    guard directoryBytes <= bytes.count else {
      throw .malformed(
        stream: "MSF superblock", offset: 44, expected: "a directory no larger than the file (\(bytes.count) bytes)",
        found: "\(directoryBytes) bytes")
    }
    // The block map: the directory's block numbers, in one block.
    let directoryBlockCount = (directoryBytes + blockSize - 1) / blockSize
    guard directoryBlockCount * 4 <= blockSize else {
      throw .malformed(
        stream: "MSF superblock", offset: 44, expected: "a directory whose block list fits in one block",
        found: "\(directoryBlockCount) blocks")
    }
    let mapOffset = try Self.blockOffset(blockMapAddress, blockSize, blockCount, stream: "MSF block map")
    var mapReader = ByteReader(bytes, stream: "MSF block map", offset: mapOffset)
    var directory: [UInt8] = []
    directory.reserveCapacity(directoryBlockCount * blockSize)
    for _ in 0..<directoryBlockCount {
      let block = try mapReader.u32()
      let at = try Self.blockOffset(block, blockSize, blockCount, stream: "MSF directory")
      directory += bytes[at..<at + blockSize]
    }
    directory = Array(directory.prefix(directoryBytes))

    var d = ByteReader(directory, stream: "MSF directory")
    let count = try d.count(itemSize: 4, what: "a stream count")
    var sizes: [Int?] = []
    sizes.reserveCapacity(count)
    for _ in 0..<count {
      let at = d.offset
      let s = try d.u32()
      if s == 0xFFFF_FFFF {
        sizes.append(nil)
        continue
      }
      guard Int(s) <= bytes.count else {
        throw .malformed(
          stream: "MSF directory", offset: at, expected: "a stream no larger than the file (\(bytes.count) bytes)",
          found: "\(s) bytes")
      }
      sizes.append(Int(s))
    }
    var lists: [[UInt32]] = []
    lists.reserveCapacity(count)
    for (index, s) in sizes.enumerated() {
      let n = ((s ?? 0) + blockSize - 1) / blockSize
      var list: [UInt32] = []
      list.reserveCapacity(n)
      for _ in 0..<n {
        let block = try d.u32()
        guard Int(block) < blockCount else {
          throw .blockOutOfRange(stream: "stream \(index)", block: block, blockCount: blockCount)
        }
        list.append(block)
      }
      lists.append(list)
    }
    streamSizes = sizes
    blocks = lists
  }

  private static func blockOffset(_ block: UInt32, _ size: Int, _ count: Int, stream: String) throws(ImageFormatError)
    -> Int
  {
    guard Int(block) < count else { throw .blockOutOfRange(stream: stream, block: block, blockCount: count) }
    return Int(block) * size
  }

  /// The bytes of stream `index`; `context` names who asked, for the error.
  public func stream(_ index: Int, context: String = "MSF") throws(ImageFormatError) -> [UInt8] {
    guard index >= 0, index < streamSizes.count, let size = streamSizes[index] else {
      throw .badStreamIndex(context: context, index: index, streamCount: streamSizes.count)
    }
    var out: [UInt8] = []
    out.reserveCapacity(size)
    for block in blocks[index] {
      let at = Int(block) * blockSize
      let n = min(blockSize, size - out.count)
      out += data[at..<at + n]
    }
    return out
  }
}
