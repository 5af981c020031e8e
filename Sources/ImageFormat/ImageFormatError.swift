/// Why a PE image or a PDB could not be read, with the evidence: which stream or part of the file, at which
/// offset, what was expected and what was found. Every malformed input ends in one of these; none traps.
public enum ImageFormatError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file does not start with the MSF 7.00 magic.
  case notMSF(found: [UInt8])
  /// A read past the end of a stream or part (or of the file, for the superblock, the directory and PE headers).
  case truncated(stream: String, offset: Int, needed: Int, available: Int)
  /// A block size MSF does not use (512, 1024, 2048 or 4096).
  case badBlockSize(UInt32)
  /// A block number outside the file.
  case blockOutOfRange(stream: String, block: UInt32, blockCount: Int)
  /// A stream number that the directory does not have (or that holds no data).
  case badStreamIndex(context: String, index: Int, streamCount: Int)
  /// A field whose value cannot be right.
  case malformed(stream: String, offset: Int, expected: String, found: String)
  /// A relative virtual address that no section (and not the headers) holds.
  case unmappedRVA(part: String, rva: UInt32)

  public var description: String {
    switch self {
    case .notMSF(let found):
      "not a PDB (MSF 7.00) file: it starts with \(found.prefix(8).map { String($0, radix: 16) }.joined(separator: " "))"
    case .truncated(let stream, let offset, let needed, let available):
      "\(stream): \(needed) bytes needed at offset \(offset), \(available) available"
    case .badBlockSize(let size): "MSF superblock: block size \(size), expected 512, 1024, 2048 or 4096"
    case .blockOutOfRange(let stream, let block, let count): "\(stream): block \(block) is past the file's \(count)"
    case .badStreamIndex(let context, let index, let count):
      "\(context): stream \(index) does not exist (the directory has \(count), or it is empty)"
    case .malformed(let stream, let offset, let expected, let found):
      "\(stream) at offset \(offset): expected \(expected), found \(found)"
    case .unmappedRVA(let part, let rva): "\(part): RVA 0x\(String(rva, radix: 16)) is in no section of the image"
    }
  }
}
